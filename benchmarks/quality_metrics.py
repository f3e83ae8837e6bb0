"""The suggestion-quality metrics: pure functions of the prompt and the continuations' text.

No model and no torch here, so each metric is tested on hand-made strings; the tokenizer (for
copies) and the word list (for broken words) come in as functions. Each metric answers for one
continuation (or one prompt's alternatives) whether it counts and whether it is a hit; ``Rate``
adds them up. The definitions (issue 11, "Measured, not asserted"):

- markup: an HTML/XML tag (``<strong>``, ``</p>``, ``<br/>``) or entity (``&nbsp;``, ``&#8217;``)
  in a continuation of a prompt whose own text has none;
- broken word: at a mid-word cursor, the word the writer ends up with (the partial word typed
  plus the continuation's leading letters) is not in the word list;
- verbatim copy: the continuation holds a span of ``COPY_SPAN`` tokens that the context holds;
- unclosed quote: a continuation that ends at a sentence end inside a quotation (opened in the
  context's last paragraph or in the continuation) and does not close it;
- duplicate: an alternative whose text equals an earlier alternative's of the same request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from penwright.models.prose import CJK_SENTENCE_ENDS, CLOSERS, LATIN_SENTENCE_ENDS

COPY_SPAN = 8
"""Tokens in a row that make a copy (the issue's figure, and the engine's no_copy_tokens)."""

# Tags need a letter right after "<" (or "</"), so "a < b" and "<3" in prose are not markup;
# entities need the closing ";", so "AT&T" and "R&D;" (no letter run before ;) are told apart.
_TAG = r"</?[A-Za-z][A-Za-z0-9:_-]*(?:\s[^<>]*)?/?>"
_ENTITY = r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"
_MARKUP = re.compile(f"{_TAG}|{_ENTITY}")

# The word at the start of a text: letters, with apostrophes inside ("don't", "o'clock"), so
# "rattl'd" reads as the word "rattl'd", which no dictionary has.
_LEADING_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")

_SENTENCE_STOP = re.compile(
    rf"(?:[{re.escape(LATIN_SENTENCE_ENDS)}]+|[{CJK_SENTENCE_ENDS}]+)"
    rf"(?P<closers>[{re.escape(CLOSERS)}]*)$"
)

# Quotation marks: the straight double quote opens and closes; the others come in pairs. Single
# quotes are left out, since ' and U+2019 are mostly apostrophes ("don't", "the dogs' bowls").
_PAIRS = {"\u201c": "\u201d", "\u300c": "\u300d", "\u300e": "\u300f"}  # “ ” 「 」 『 』
_CLOSING = {close: open_ for open_, close in _PAIRS.items()}
_STRAIGHT = '"'


def has_markup(text: str) -> bool:
    """Whether ``text`` holds an HTML/XML tag or a character entity."""
    return _MARKUP.search(text) is not None


def completed_word(partial: str, continuation: str) -> str:
    """The word the writer has after accepting: ``partial`` plus the continuation's leading
    letters. Curly apostrophes read as straight ones, as the word list spells them."""
    match = _LEADING_WORD.match(partial + continuation)
    word = match.group(0) if match else partial
    return word.replace("\u2019", "'")


def is_broken_word(partial: str, continuation: str, known: Callable[[str], bool]) -> bool:
    """Whether the word completed at a mid-word cursor is not a word (``known`` says which are).

    A continuation that adds nothing leaves the partial word as it is, which counts as broken
    when the partial is not a word itself: the writer is left with "rattl"."""
    return not known(completed_word(partial, continuation))


def copies_context(
    continuation_ids: Sequence[int], context_ids: Sequence[int], span: int = COPY_SPAN
) -> bool:
    """Whether ``span`` consecutive continuation tokens appear, in order, in the context."""
    if span < 1 or len(continuation_ids) < span or len(context_ids) < span:
        return False
    seen = {tuple(context_ids[i : i + span]) for i in range(len(context_ids) - span + 1)}
    return any(
        tuple(continuation_ids[i : i + span]) in seen
        for i in range(len(continuation_ids) - span + 1)
    )


def open_quotes(text: str) -> list[str]:
    """The quotation marks still open at the end of ``text``, outermost first.

    A closing mark closes the innermost open quotation of its kind (and any opened inside it
    and left open); one with nothing to close is ignored. A straight quote closes an open
    straight quotation, else opens one."""
    stack: list[str] = []
    for char in text:
        if char in _PAIRS:
            stack.append(char)
        elif char in _CLOSING or char == _STRAIGHT:
            opener = _CLOSING.get(char, _STRAIGHT)
            if opener in stack:
                del stack[len(stack) - 1 - stack[::-1].index(opener) :]
            elif char == _STRAIGHT:
                stack.append(char)
    return stack


def leaves_quote_open(context: str, continuation: str) -> bool | None:
    """At a sentence stop inside a quotation: whether the continuation leaves it open.

    None when the question does not arise: the continuation does not end at a sentence end, or
    no quotation is open at that end. Quotations are followed over the last paragraph (line) of
    the context and the continuation, since a paragraph break ends what a quotation can span in
    the prose the benchmark uses."""
    ending = continuation.rstrip()
    if not ending.strip():
        return None
    stop = _SENTENCE_STOP.search(ending)
    if stop is None:
        return None
    paragraph = (context + ending).rsplit("\n", 1)[-1]
    at_stop = paragraph[: len(paragraph) - len(stop.group("closers"))]
    if not open_quotes(at_stop):
        return None
    return bool(open_quotes(paragraph))


def duplicate_count(texts: Sequence[str]) -> int:
    """Alternatives whose text equals an earlier one's. Surrounding whitespace is ignored: two
    suggestions that differ only in it look the same to the writer."""
    seen: set[str] = set()
    duplicates = 0
    for text in texts:
        key = text.strip()
        if key in seen:
            duplicates += 1
        seen.add(key)
    return duplicates


@dataclass(frozen=True)
class Rate:
    """``hits`` of ``total`` cases; no cases reads "n/a", not 0%."""

    hits: int = 0
    total: int = 0

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.hits + other.hits, self.total + other.total)

    @property
    def share(self) -> float | None:
        return self.hits / self.total if self.total else None

    def __str__(self) -> str:
        share = self.share
        if share is None:
            return "n/a (0 cases)"
        return f"{share:.1%} ({self.hits}/{self.total})"


def count(hit: bool | None) -> Rate:
    """One case as a Rate: None (the metric does not apply) counts nothing."""
    return Rate() if hit is None else Rate(int(hit), 1)
