"""The suggestion itself, as pure logic: streamed alternatives, cycling, partial acceptance and
type-through. No Qt here; the editor draws what `visible` says and inserts what `take_*` returns.

The suggestion is anchored where it was requested. Everything accepted since (by a key or by
typing through) is `accepted`; each alternative shows what remains of its text after that
prefix. Alternatives that disagree with what was accepted drop out of the cycle, and so does an
alternative whose finished text repeats an earlier one.

Alternatives come from the request that started the suggestion (shown first, in the engine's
order), from the writer's earlier suggestions at the same place (`earlier`, restored from the
editor's history), and from later requests for "another one" (`expect`), appended at the end.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from penwright.models.prose import next_word, to_sentence_end
from penwright.models.results import TokenChoice, TokenInfo

# Blanks before a line break, or at the end, are invisible to a reader and would be left behind
# as trailing whitespace once accepted. At the end of a stream still coming they are only held
# back: the next piece shows whether they were a space between words or before a line break.
_LINE_END_BLANKS = re.compile(r"[ \t]+(?=\n|\Z)")
_BLANKS_BEFORE_BREAKS = re.compile(r"[ \t]+(?=\n)")


def tidy(text: str, keep_final_blanks: bool = False) -> str:
    """text as it may be inserted: "\\n" line breaks, no blanks at the end of a line. The final
    blanks stay when keep_final_blanks: a finished suggestion inside a line ends where the
    writer's text goes on, and the blank is what separates them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (_BLANKS_BEFORE_BREAKS if keep_final_blanks else _LINE_END_BLANKS).sub("", text)


@dataclass(frozen=True)
class PlacedToken:
    """A generated token and where its text stands in the visible suggestion [start, end)."""

    start: int
    end: int
    token: TokenInfo


@dataclass(eq=False)  # compared by identity: two alternatives may hold the same text
class _Alternative:
    text: str = ""  # as streamed (or remembered), from the anchor
    done: bool = True
    request_id: int | None = None  # the request streaming into it; None: remembered
    index: int = 0  # which of that request's alternatives it is
    # Its tokens (when the source sends them) as (start, end) in text, and where the next
    # one starts: tokens cover the streamed text from the prefix the request continued on.
    tokens: list[tuple[int, int, TokenInfo]] = field(default_factory=list)
    token_end: int = 0

    def __post_init__(self) -> None:
        self.token_end = len(self.text)


class GhostText:
    """One suggestion: its alternatives, which one shows, and what was accepted."""

    def __init__(
        self, request_id: int, anchor: int, earlier: Sequence[str] = (), mid_line: bool = False
    ) -> None:
        """mid_line: the writer's text goes on after the anchor, on the same line."""
        self.request_id = request_id
        self._mid_line = mid_line
        # Document position where the visible part starts (the caret). The editor moves it after
        # inserting accepted text, because Qt counts positions in UTF-16 units, not code points.
        self.anchor = anchor
        first = _Alternative(done=False, request_id=request_id)
        self._alternatives = [first, *(_Alternative(text) for text in earlier if tidy(text))]
        self._firsts = 1  # the starting request's alternatives lead, before the earlier ones
        self._open = {request_id}  # requests still streaming into this suggestion
        self._shown = first
        self._show_next_from: int | None = None  # show this request's text once it arrives
        self._accepted = ""
        self._prefixes: dict[int, str] = {}  # accepted text a later request continues after

    # -- streaming ----------------------------------------------------------------------------

    @property
    def streaming(self) -> bool:
        return bool(self._open)

    @property
    def shown_request_id(self) -> int:
        """The request that wrote the alternative showing (the suggestion's own request for
        one remembered from before)."""
        shown = self._shown.request_id
        return self.request_id if shown is None else shown

    def owns(self, request_id: int) -> bool:
        """Whether request_id streams into this suggestion (and is still streaming)."""
        return request_id in self._open

    def expect(self, request_id: int) -> None:
        """Another request (for one more alternative) now streams into this suggestion, after
        what was accepted; its alternative shows as soon as its first text arrives."""
        self._open.add(request_id)
        self._show_next_from = request_id
        # It continues the text as it stood when asked: what was accepted by then comes first.
        self._prefixes[request_id] = self._accepted

    def append(self, alternative: int, text: str, request_id: int | None = None) -> None:
        """Streamed text of one alternative of request_id (None: the starting request)."""
        request_id = self.request_id if request_id is None else request_id
        if request_id not in self._open:
            return
        slot = self._slot(request_id, alternative)
        slot.text += text
        if self._show_next_from == request_id and self._remaining(slot):
            self._shown, self._show_next_from = slot, None
        self._settle()

    def append_tokens(
        self, alternative: int, tokens: Sequence[TokenInfo], request_id: int | None = None
    ) -> None:
        """The tokens behind the text of one alternative (models.results.Delta.tokens)."""
        request_id = self.request_id if request_id is None else request_id
        if request_id not in self._open:
            return
        slot = self._slot(request_id, alternative)
        for token in tokens:
            end = slot.token_end + len(token.text)
            slot.tokens.append((slot.token_end, end, token))
            slot.token_end = end

    def finish(self, request_id: int | None = None) -> None:
        """request_id (None: the starting request) streams no more."""
        request_id = self.request_id if request_id is None else request_id
        self._open.discard(request_id)
        if self._show_next_from == request_id:
            self._show_next_from = None
        for slot in self._alternatives:
            if slot.request_id == request_id:
                slot.done = True
        self._settle()

    def _slot(self, request_id: int, alternative: int) -> _Alternative:
        for slot in self._alternatives:
            if slot.request_id == request_id and slot.index == alternative:
                return slot
        if request_id == self.request_id:
            slot = _Alternative(done=False, request_id=request_id, index=alternative)
            self._alternatives.insert(self._firsts, slot)
            self._firsts += 1
        else:
            prefix = self._prefixes.get(request_id, "")
            slot = _Alternative(prefix, False, request_id, alternative)
            self._alternatives.append(slot)
        return slot

    def _tidy(self, slot: _Alternative) -> str:
        return tidy(slot.text, keep_final_blanks=self._mid_line and slot.done)

    def _settle(self) -> None:
        """Keep showing something worth showing: a duplicate gives way to the alternative it
        repeats (the same text, so nothing moves), an empty one to the first with text."""
        shown = self._shown
        if shown.done and not self._tidy(shown):
            first = self.candidates()
            if first:
                self._shown = self._alternatives[first[0]]
            return
        original = self._original_of(shown)
        if original is not None:
            self._shown = original

    def _original_of(self, slot: _Alternative) -> _Alternative | None:
        """The earlier finished alternative whose finished text slot repeats, if any."""
        if not slot.done:
            return None
        for other in self._alternatives:
            if other is slot:
                return None
            if other.done and self._tidy(other) == self._tidy(slot):
                return other
        return None

    # -- what shows ---------------------------------------------------------------------------

    def _remaining(self, slot: _Alternative) -> str | None:
        """What slot shows after the accepted prefix, or None if it disagrees with it."""
        text = self._tidy(slot)
        if text.startswith(self._accepted):
            return text[len(self._accepted) :]
        if self._accepted.startswith(text):
            return ""  # still streaming up to what the writer already accepted
        return None

    @property
    def visible(self) -> str:
        return self._remaining(self._shown) or ""

    @property
    def index(self) -> int:
        return self._alternatives.index(self._shown)

    def visible_tokens(self) -> list[PlacedToken]:
        """The shown alternative's tokens, placed in ``visible`` (those it still shows, cut to
        what shows); empty when the source sent none."""
        slot = self._shown
        visible = self.visible
        base = len(self._accepted)
        placed = []
        for start, end, token in slot.tokens:
            start, end = max(start - base, 0), min(end - base, len(visible))
            if end > start:
                placed.append(PlacedToken(start, end, token))
        return placed

    def token_at(self, offset: int) -> PlacedToken | None:
        """The visible token at offset of ``visible`` (or the first one after blanks)."""
        for placed in self.visible_tokens():
            if offset < placed.end:
                return placed
        return None

    def swap(self, request_id: int, placed: PlacedToken, choice: TokenChoice) -> str:
        """Keep what shows before placed, put choice in its place, and let request_id write the
        rest (it shows at once, after the kept text). Requests still streaming end here: the
        new one supersedes them. Returns the text the new request continues after (from the
        caret): kept text plus the chosen token's."""
        for open_request in list(self._open):
            self.finish(open_request)
        kept = self.visible[: placed.start]
        prefix = self._accepted + kept + choice.text
        slot = _Alternative(prefix, False, request_id, 0)
        cut = len(self._accepted) + placed.start
        slot.tokens = [t for t in self._shown.tokens if t[1] <= cut]
        chosen = TokenInfo(choice.text, choice.probability, placed.token.top)
        slot.tokens.append((cut, len(prefix), chosen))
        self._alternatives.append(slot)
        self._open.add(request_id)
        self._prefixes[request_id] = prefix
        self._shown = slot
        return kept + choice.text

    def candidates(self) -> list[int]:
        """Alternatives that agree with what was accepted, have something to show and do not
        repeat an earlier one."""
        return [
            i
            for i, slot in enumerate(self._alternatives)
            if self._remaining(slot) and self._original_of(slot) is None
        ]

    def position(self) -> tuple[int, int]:
        """(which candidate shows, counted from 1, or 0 if none; how many there are)."""
        others = self.candidates()
        index = self.index
        return (others.index(index) + 1 if index in others else 0), len(others)

    def at_last(self) -> bool:
        """Whether cycling on would wrap around: the shown alternative is the last (or only)
        candidate, or there is none."""
        others = self.candidates()
        return not others or others[-1] == self.index

    def offered(self) -> tuple[str, ...]:
        """The continuations from the caret the writer can see or cycle to: what a request for
        another one should avoid."""
        texts = (self._remaining(self._alternatives[i]) for i in self.candidates())
        return tuple(text for text in texts if text)

    def remembered(self) -> tuple[str, ...]:
        """The distinct texts offered from the anchor, for the history; the one showing last, so
        that Alt+[ on the next suggestion here brings it back first."""
        texts = [self._tidy(slot) for slot in self._alternatives if slot is not self._shown]
        texts.append(self._tidy(self._shown))
        unique = [t for t in dict.fromkeys(reversed(texts)) if t]
        return tuple(reversed(unique))

    def cycle(self, step: int) -> bool:
        """Show the next (step 1) or previous (step -1) alternative; False if there is none."""
        others = self.candidates()
        index = self.index
        if not others or others == [index]:
            return False
        if index not in others:
            self._shown = self._alternatives[others[0]]
            return True
        position = others.index(index)
        self._shown = self._alternatives[others[(position + step) % len(others)]]
        return True

    # -- accepting ----------------------------------------------------------------------------

    def _take(self, text: str) -> str:
        self._accepted += text
        return text

    def take_all(self) -> str:
        return self._take(self.visible)

    def take_word(self) -> str:
        return self._take(next_word(self.visible))

    def take_sentence(self) -> str:
        return self._take(to_sentence_end(self.visible))

    def type_through(self, typed: str) -> bool:
        """Consume typed text if the suggestion continues with it; False means it diverged."""
        if not typed or not self.visible.startswith(typed):
            return False
        self._take(typed)
        return True

    @property
    def exhausted(self) -> bool:
        """Nothing left to show and nothing more coming."""
        return not self.streaming and not self.visible
