"""Which lore entries the text near the cursor brings into the context.

A key is a plain word or phrase, matched case-insensitively as a whole word ("Ahab" matches
"ahab's" but not "Ahabian"), or a regular expression between slashes (``/cap(tain)?\\s+ahab/``),
also case-insensitive. Only the last ``scan_chars`` characters before the cursor are searched:
lore is about what the story is dealing with now, not everything it ever mentioned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from penwright.models.story.story import LoreEntry, StoryContext


@dataclass(frozen=True)
class Triggered:
    """The entries that apply, in the writer's order, and why any key was ignored."""

    entries: tuple[LoreEntry, ...]
    problems: tuple[str, ...]


def is_regex_key(key: str) -> bool:
    return len(key) >= 2 and key.startswith("/") and key.endswith("/")


def key_pattern(key: str) -> re.Pattern[str]:
    """The compiled pattern of a key; raises re.error for a regular expression that is not."""
    return _compiled(key.strip())


@lru_cache(maxsize=512)
def _compiled(key: str) -> re.Pattern[str]:
    if is_regex_key(key):
        return re.compile(key[1:-1], re.IGNORECASE)
    return re.compile(rf"(?<!\w){re.escape(key)}(?!\w)", re.IGNORECASE)


def triggered_lore(story: StoryContext, text_before_cursor: str) -> Triggered:
    """The enabled entries with a key in the scan window, in the order the writer lists them
    (a stable order, so the same lore gives the same tokens and the prefix cache hits)."""
    window = text_before_cursor[-story.scan_chars :]
    entries: list[LoreEntry] = []
    problems: list[str] = []
    for entry in story.lore:
        if not entry.enabled or not entry.text.strip():
            continue
        for key in entry.keys:
            try:
                pattern = key_pattern(key)
            except re.error as exc:
                problems.append(f"lore {entry.name!r}: the key {key} is not a pattern ({exc})")
                continue
            if pattern.search(window):
                entries.append(entry)
                break
    return Triggered(tuple(entries), tuple(problems))
