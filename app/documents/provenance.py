"""Who wrote what: which spans of a document came from a suggestion, as pure logic (no Qt).

Everything is typed by the writer unless a span here says otherwise: a span accepted from a
suggestion (with the model and settings that wrote it), or such a span the writer has since
changed inside (accepted, then edited). Spans follow edits the way QTextDocument reports them
(contentsChange: position, chars removed, chars added), so positions count UTF-16 units as Qt
does; ``utf16_offsets`` maps a Python string onto them.

What is kept on disk (the sidecar's "provenance" section, the journal) is ``to_dict``; the
document's length is stored with the spans so that a file changed by another program is noticed
rather than coloured wrongly.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise

FORMAT_VERSION = 1


class Origin(StrEnum):
    TYPED = "typed"
    SUGGESTED = "suggested"  # accepted from a suggestion, unchanged since
    EDITED = "edited"  # accepted from a suggestion, then changed by the writer


class ProvenanceError(ValueError):
    """Stored provenance that cannot be used; the message says why, for the writer."""


@dataclass(frozen=True)
class SuggestionSource:
    """The model and settings a suggestion came from."""

    model: str
    temperature: float
    max_new_tokens: int

    def describe(self) -> str:
        return f"{self.model}, temperature {self.temperature:g}, up to {self.max_new_tokens} tokens"


@dataclass(frozen=True)
class Span:
    """[start, end) in UTF-16 units, not typed by the writer."""

    start: int
    end: int
    origin: Origin
    source: SuggestionSource

    def to_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "origin": self.origin.value,
            "model": self.source.model,
            "temperature": self.source.temperature,
            "max_new_tokens": self.source.max_new_tokens,
        }

    @staticmethod
    def from_dict(data: object) -> Span:
        if not isinstance(data, dict):
            raise ProvenanceError(f"a span must be an object, not {data!r}")
        try:
            start, end = data["start"], data["end"]
            origin = Origin(data["origin"])
            model, temperature, length = data["model"], data["temperature"], data["max_new_tokens"]
        except (KeyError, ValueError) as error:
            raise ProvenanceError(f"a span lacks or has a bad {error}") from None
        numbers_ok = all(
            isinstance(n, int) and not isinstance(n, bool) for n in (start, end, length)
        ) and isinstance(temperature, int | float)
        if not numbers_ok or not isinstance(model, str) or not 0 <= start < end:
            raise ProvenanceError(f"a span has bad values: {data!r}")
        if origin is Origin.TYPED:
            raise ProvenanceError("typed text is not stored as a span")
        return Span(start, end, origin, SuggestionSource(model, float(temperature), length))


class Provenance:
    """The non-typed spans of one document, sorted and never overlapping."""

    def __init__(self, length: int = 0, spans: list[Span] | None = None) -> None:
        self.length = length  # the document's length in UTF-16 units
        self._spans: list[Span] = sorted(spans or [], key=lambda s: s.start)

    @property
    def spans(self) -> tuple[Span, ...]:
        return tuple(self._spans)

    def copy(self) -> Provenance:
        return Provenance(self.length, list(self._spans))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Provenance)
            and other.length == self.length
            and other._spans == self._spans
        )

    def __repr__(self) -> str:
        return f"Provenance({self.length}, {self._spans!r})"

    # -- following edits ----------------------------------------------------------------------

    def change(self, position: int, removed: int, added: int) -> None:
        """The writer's edit: removed units at position gave way to added typed ones. A span
        the edit cuts into, or splits by typing inside it, becomes "edited"."""
        cut_end = position + removed
        shift = added - removed
        result: list[Span] = []
        for span in self._spans:
            if span.end <= position:
                result.append(span)
                continue
            if span.start >= cut_end:
                result.append(_moved(span, span.start + shift, span.end + shift))
                continue
            # The edit reaches inside the span (typing at its edges does not: see above).
            before = (span.start, min(span.end, position))
            after = (max(span.start, cut_end), span.end)
            edited = Origin.EDITED
            for start, end, moved in ((*before, 0), (*after, shift)):
                if end > start:
                    result.append(Span(start + moved, end + moved, edited, span.source))
        self._spans = _merged(result)
        self.length = max(self.length + shift, 0)

    def mark_suggested(self, position: int, length: int, source: SuggestionSource) -> None:
        """The units just inserted at position were accepted from a suggestion."""
        if length <= 0:
            return
        end = position + length
        kept = [s for s in self._spans if s.end <= position or s.start >= end]
        kept.append(Span(position, end, Origin.SUGGESTED, source))
        self._spans = _merged(sorted(kept, key=lambda s: s.start))

    # -- reading ------------------------------------------------------------------------------

    def origin_at(self, position: int) -> Origin:
        for span in self._spans:
            if span.start <= position < span.end:
                return span.origin
        return Origin.TYPED

    def words_by_origin(self, text: str) -> Counter[Origin]:
        """Words of text (the document's plain text) by who wrote most of each."""
        offsets = utf16_offsets(text)
        counts: Counter[Origin] = Counter({origin: 0 for origin in Origin})
        for match in _WORD.finditer(text):
            start, end = offsets[match.start()], offsets[match.end()]
            units: Counter[Origin] = Counter({Origin.TYPED: end - start})
            for span in self._spans:
                overlap = min(end, span.end) - max(start, span.start)
                if overlap > 0:
                    units[span.origin] += overlap
                    units[Origin.TYPED] -= overlap
            counts[max(Origin, key=lambda o: (units[o], o is not Origin.TYPED))] += 1
        return counts

    # -- storing ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, object]:
        return {
            "version": FORMAT_VERSION,
            "length": self.length,
            "spans": [span.to_dict() for span in self._spans],
        }

    @staticmethod
    def from_dict(data: object, length: int | None = None) -> Provenance:
        """Stored provenance; length: the document's as opened, which it must match (else the
        text was changed by another program and the spans would point at the wrong words).
        Raises ProvenanceError saying what is wrong."""
        if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
            raise ProvenanceError("the provenance is not in a format this version reads")
        stored = data.get("length")
        spans_data = data.get("spans")
        if not isinstance(stored, int) or not isinstance(spans_data, list):
            raise ProvenanceError("the provenance lacks its length or spans")
        if length is not None and stored != length:
            raise ProvenanceError(
                "the text was changed outside Penwright since its provenance was saved"
            )
        spans = sorted((Span.from_dict(item) for item in spans_data), key=lambda s: s.start)
        for previous, span in pairwise(spans):
            if span.start < previous.end:
                raise ProvenanceError("the provenance has overlapping spans")
        if spans and spans[-1].end > stored:
            raise ProvenanceError("the provenance has spans past the end of the text")
        return Provenance(stored, spans)


_WORD = re.compile(r"\S+")


def utf16_offsets(text: str) -> list[int]:
    """offsets[i]: the UTF-16 position of code point i of text (one more entry, for the end)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


def _moved(span: Span, start: int, end: int) -> Span:
    return Span(start, end, span.origin, span.source)


def _merged(spans: list[Span]) -> list[Span]:
    """Neighbours of the same origin and source become one span."""
    result: list[Span] = []
    for span in spans:
        last = result[-1] if result else None
        if (
            last is not None
            and last.end == span.start
            and last.origin == span.origin
            and last.source == span.source
        ):
            result[-1] = _moved(last, last.start, span.end)
        else:
            result.append(span)
    return result
