"""The suggestion itself, as pure logic: streamed alternatives, cycling, partial acceptance and
type-through. No Qt here; the editor draws what `visible` says and inserts what `take_*` returns.

The suggestion is anchored where it was requested. Everything accepted since (by a key or by
typing through) is `accepted`; each alternative shows what remains of its streamed text after
that prefix. Alternatives that disagree with what was accepted drop out of the cycle.
"""

from __future__ import annotations

from penwright.models.prose import next_word, to_sentence_end


class GhostText:
    """One suggestion: the streamed alternatives, which one shows, and what was accepted."""

    def __init__(self, request_id: int, anchor: int) -> None:
        self.request_id = request_id
        # Document position where the visible part starts (the caret). The editor moves it after
        # inserting accepted text, because Qt counts positions in UTF-16 units, not code points.
        self.anchor = anchor
        self.streaming = True
        self._streams: list[str] = [""]
        self._index = 0
        self._accepted = ""

    # -- streaming ----------------------------------------------------------------------------

    def append(self, alternative: int, text: str) -> None:
        while len(self._streams) <= alternative:
            self._streams.append("")
        self._streams[alternative] += text

    def finish(self) -> None:
        self.streaming = False

    # -- what shows ---------------------------------------------------------------------------

    def _remaining(self, alternative: int) -> str | None:
        """What alternative shows after the accepted prefix, or None if it disagrees with it."""
        stream = self._streams[alternative]
        if stream.startswith(self._accepted):
            return stream[len(self._accepted) :]
        if self._accepted.startswith(stream):
            return ""  # still streaming up to what the writer already accepted
        return None

    @property
    def visible(self) -> str:
        return self._remaining(self._index) or ""

    @property
    def index(self) -> int:
        return self._index

    def candidates(self) -> list[int]:
        """Alternatives that agree with what was accepted and have something to show."""
        return [i for i in range(len(self._streams)) if self._remaining(i)]

    def cycle(self, step: int) -> bool:
        """Show the next (step 1) or previous (step -1) alternative; False if there is none."""
        others = self.candidates()
        if not others or others == [self._index]:
            return False
        if self._index not in others:
            self._index = others[0]
            return True
        position = others.index(self._index)
        self._index = others[(position + step) % len(others)]
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
