"""Where a streamed continuation ends, and how much of its tail is not yet safe to show.

Pure text logic, no tokenizer and no torch, so it is tested on plain strings.

Rules (DESIGN.md section 2):
- sentence: after ``. ! ? …`` (plus closing quotes/brackets) followed by whitespace, after
  the CJK full stops (plus closing quotes) with no space needed, or before a line break;
- paragraph: before a blank line;
- custom strings end the text in every mode and are excluded from it;
- none: only custom strings (if any), end of text and the length limit end it.
- dialogue (with ``open_quotes``): a sentence end inside an open quotation does not count; the
  stop comes after the closing quote (``."`` ends with the quote), or at the line break.

Sentence and paragraph ends only count once the continuation has some non-whitespace text: a
continuation that opens with a line break (the cursor sat at the end of a heading) must not end
empty. Whitespace before a stop is dropped, so the tail whitespace is held back while streaming.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from penwright.models.generation.quotes import QuoteStack, quotes_after
from penwright.models.params import StopMode
from penwright.models.prose import CJK_END_CLASS, CLOSER_CLASS, CLOSERS, LATIN_END_CLASS

_LATIN_END = re.compile(rf"{LATIN_END_CLASS}+{CLOSER_CLASS}*(?=\s)")
# CJK full stops need no following space; the closers after them belong to the sentence, so a
# match is only certain once a character that is not a closer follows.
_CJK_END = re.compile(rf"{CJK_END_CLASS}+{CLOSER_CLASS}*(?=[^{re.escape(CLOSERS)}])")
_LINE_BREAK = re.compile(r"\r?\n")
_BLANK_LINE = re.compile(r"\r?\n[^\S\n]*\n")


@dataclass(frozen=True)
class ScanResult:
    """What may be shown of the text so far.

    ``stable_end``: text[:stable_end] will not change (all of it when ``stopped``).
    ``stopped``: a stop was found; the continuation is text[:stable_end] and generation ends.
    """

    stable_end: int
    stopped: bool


class StopScanner:
    """Finds the stop of one continuation; call ``scan`` with the whole text after each token."""

    def __init__(
        self,
        mode: StopMode,
        stop_strings: Iterable[str] = (),
        open_quotes: QuoteStack | None = None,
    ) -> None:
        """``open_quotes``: the quotations open where the continuation starts (see
        models.generation.quotes); None leaves quotes out of the sentence stop."""
        self._mode = mode
        self._strings = tuple(s for s in stop_strings if s)
        self._drops_trailing_space = mode in (StopMode.SENTENCE, StopMode.PARAGRAPH)
        self._open_quotes = open_quotes

    def scan(self, text: str) -> ScanResult:
        cut = self._first_stop(text)
        if cut is not None:
            if self._drops_trailing_space:
                cut = _strip_trailing_space(text, cut)
            return ScanResult(stable_end=cut, stopped=True)
        return ScanResult(stable_end=len(text) - self._holdback(text), stopped=False)

    def finish(self, text: str) -> int:
        """The end of the continuation once no more text will come (end of text, length)."""
        scan = self.scan(text)
        if scan.stopped or not self._drops_trailing_space:
            return scan.stable_end if scan.stopped else len(text)
        return len(text.rstrip()) if text.strip() else len(text)

    def _first_stop(self, text: str) -> int | None:
        cuts = [i for s in self._strings if (i := text.find(s)) >= 0]
        body_start = len(text) - len(text.lstrip())
        if self._mode in (StopMode.SENTENCE, StopMode.PARAGRAPH) and body_start < len(text):
            patterns = [_BLANK_LINE]
            if self._mode is StopMode.SENTENCE:
                patterns = [_LINE_BREAK]
                cuts += [
                    end for p in (_LATIN_END, _CJK_END) if (end := self._end(p, text, body_start))
                ]
            cuts += [m.start() for p in patterns if (m := p.search(text, body_start))]
        return min(cuts) if cuts else None

    def _end(self, pattern: re.Pattern[str], text: str, start: int) -> int | None:
        """Where the first sentence end of ``pattern`` outside any quotation ends."""
        for match in pattern.finditer(text, start):
            if self._open_quotes is None or not quotes_after(
                text[: match.end()], self._open_quotes
            ):
                return match.end()
        return None

    def _holdback(self, text: str) -> int:
        """How many trailing characters could still turn out to be part of a stop."""
        held = max((_partial_match_len(text, s) for s in self._strings), default=0)
        if self._drops_trailing_space:
            # Trailing whitespace is dropped if a stop follows it, so it is not stable yet.
            held = max(held, len(text) - len(text.rstrip()))
        return held


def _partial_match_len(text: str, stop: str) -> int:
    """Length of the longest tail of ``text`` that is a proper prefix of ``stop``."""
    for size in range(min(len(stop) - 1, len(text)), 0, -1):
        if text.endswith(stop[:size]):
            return size
    return 0


def _strip_trailing_space(text: str, cut: int) -> int:
    return len(text[:cut].rstrip()) if text[:cut].strip() else cut
