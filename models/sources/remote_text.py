"""The prose rules a remote source applies to the text it receives (no tokens, no logits).

A remote server streams plain text, so the rules that act on the text itself run here, the same
code the local engine uses where it can be:

- stops: the engine's own StopScanner (models.generation.stops): sentence ends with their
  closers, paragraph ends, custom strings, and the dialogue rule (a sentence inside an open
  quotation ends with its closing quote); a partial stop string is held back;
- no markup (prose): in a context without markup the continuation ends before the first tag or
  entity, and an unclosed "<" or "&name" at the end is held back until it is known not to be one;
- the prose opening: a near-empty text is sent after OPENING (models.prose), as the engine does;
- the context budget: at most about ``context_tokens`` tokens of the text before the cursor,
  cut at a paragraph (else sentence, else word) start.
"""

from __future__ import annotations

import re

from penwright.models.generation.quotes import open_quotes
from penwright.models.generation.stops import StopScanner
from penwright.models.params import GenerationParams
from penwright.models.prose import MARKUP, NEAR_EMPTY_WORDS, OPENING, count_words, has_markup

CHARS_PER_TOKEN = 4
"""About how many characters of English prose one token of a current tokenizer covers; the
server's tokenizer is unknown here, so the context budget is counted in characters."""

# What may still become markup at the end of the text: "<" with no ">" yet, "&" and a name.
_OPEN_TAG = re.compile(r"<[^<>\n]*\Z")
_OPEN_ENTITY = re.compile(r"&#?[A-Za-z0-9]{0,32}\Z")
_PARAGRAPH_START = re.compile(r"\n[^\S\n]*\n\s*")
_SENTENCE_START = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]]*\s+")
_WORD_START = re.compile(r"\s+")


def remote_prompt(text: str, kept: str, params: GenerationParams) -> tuple[str, str]:
    """What the server reads: ``kept`` (the budgeted context, or the assembled story), after
    OPENING when ``text`` (what the prose rules read) is near-empty, as the engine's
    prepare_prompt; and that opening ("" when none)."""
    opening = OPENING if params.prose and count_words(text) < NEAR_EMPTY_WORDS else ""
    return (opening + kept.lstrip() if opening else kept), opening


def budget_context(context: str, budget_chars: int) -> str:
    """The end of ``context`` of at most ``budget_chars`` characters, starting at a paragraph
    when one starts in its first half, else a sentence, else a word."""
    if len(context) <= budget_chars:
        return context
    start = len(context) - budget_chars
    window = context[start:]
    half = len(window) // 2
    for pattern in (_PARAGRAPH_START, _SENTENCE_START, _WORD_START):
        match = pattern.search(window, 0, half)
        if match is not None:
            return window[match.end() :]
    return window


class RemoteContinuation:
    """The text of one alternative as it arrives: ``push`` each piece and show what it returns
    (stable text, never taken back); ``finish`` once the server has ended it."""

    def __init__(self, context: str, params: GenerationParams) -> None:
        quotes = open_quotes(context) if params.dialogue else None
        self._scanner = StopScanner(params.stop, params.stop_strings, quotes)
        self._no_markup = params.prose and not has_markup(context)
        self._received = ""
        self._shown = 0
        self.text = ""  # everything shown so far
        self.stopped = False  # a stop (or markup) ended it: the rest of the stream is dropped

    def push(self, piece: str) -> str:
        if self.stopped or not piece:
            return ""
        self._received += piece
        text, cut = self._without_markup(self._received)
        scan = self._scanner.scan(text)
        if scan.stopped:
            self.stopped = True
            return self._show_up_to(text, scan.stable_end)
        if cut:  # the blanks before the markup go with it
            self.stopped = True
            return self._show_up_to(text, len(text.rstrip()))
        return self._show_up_to(text, min(scan.stable_end, self._markup_holdback(text)))

    def finish(self) -> str:
        """The rest, once the server ended the completion (end of text, length, stop)."""
        if self.stopped:
            return ""
        self.stopped = True
        text, cut = self._without_markup(self._received)
        scan = self._scanner.scan(text)
        if scan.stopped:
            return self._show_up_to(text, scan.stable_end)
        return self._show_up_to(text, len(text.rstrip()) if cut else self._scanner.finish(text))

    def _without_markup(self, text: str) -> tuple[str, bool]:
        """The text before its first markup (and whether markup cut it)."""
        if not self._no_markup:
            return text, False
        match = MARKUP.search(text)
        return (text[: match.start()], True) if match is not None else (text, False)

    def _markup_holdback(self, text: str) -> int:
        if not self._no_markup:
            return len(text)
        ends = [m.start() for m in (_OPEN_TAG.search(text), _OPEN_ENTITY.search(text)) if m]
        end = min(ends, default=len(text))
        # The blanks before it too: should it be markup, they go with it.
        return len(text[:end].rstrip()) if end < len(text) else end

    def _show_up_to(self, text: str, end: int) -> str:
        if end <= self._shown:
            return ""
        new = text[self._shown : end]
        self._shown = end
        self.text += new
        return new
