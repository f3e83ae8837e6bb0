"""Server-sent events, as the OpenAI streaming API sends them: one JSON document per event.

The format (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines of
``field: value``; ``data`` lines of one event are joined with newlines; a blank line ends the
event; lines starting with ":" are comments (keep-alives). The OpenAI API ends the stream with
an event whose data is ``[DONE]``.
"""

from __future__ import annotations

DONE = "[DONE]"


class EventAssembler:
    """Lines in, events out: ``feed`` each line (without its line end) and get the data of the
    events it completed."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> list[str]:
        if not line:
            if not self._data:
                return []
            done, self._data = "\n".join(self._data), []
            return [done]
        if line.startswith(":"):
            return []
        field, _, value = line.partition(":")
        if field == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)
        return []

    def close(self) -> list[str]:
        """An event the stream ended without a blank line after."""
        if not self._data:
            return []
        done, self._data = "\n".join(self._data), []
        return [done]
