"""The editor's actions and their default key bindings (DESIGN.md section 3).

Settings may rebind any action; everything else asks this table instead of hard-coding keys.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    CONTINUE = "continue"
    ACCEPT_ALL = "accept_all"
    ACCEPT_WORD = "accept_word"
    ACCEPT_SENTENCE = "accept_sentence"
    DISMISS = "dismiss"
    NEXT_ALTERNATIVE = "next_alternative"
    PREVIOUS_ALTERNATIVE = "previous_alternative"
    SWAP_WORD = "swap_word"


DEFAULT_BINDINGS: dict[Action, str] = {
    Action.CONTINUE: "Ctrl+Return",
    Action.ACCEPT_ALL: "Tab",
    Action.ACCEPT_WORD: "Ctrl+Right",
    Action.ACCEPT_SENTENCE: "Ctrl+Down",
    Action.DISMISS: "Esc",
    Action.NEXT_ALTERNATIVE: "Alt+]",
    Action.PREVIOUS_ALTERNATIVE: "Alt+[",
    Action.SWAP_WORD: "Alt+Down",
}
"""Portable key-sequence text (QKeySequence.PortableText) for each action."""

ACTION_LABELS: dict[Action, str] = {
    Action.CONTINUE: "Continue writing at the cursor",
    Action.ACCEPT_ALL: "Accept the whole suggestion",
    Action.ACCEPT_WORD: "Accept the next word",
    Action.ACCEPT_SENTENCE: "Accept to the end of the sentence",
    Action.DISMISS: "Dismiss the suggestion",
    Action.NEXT_ALTERNATIVE: "Next alternative",
    Action.PREVIOUS_ALTERNATIVE: "Previous alternative",
    Action.SWAP_WORD: "Swap the next suggested word for another",
}
