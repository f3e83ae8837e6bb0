"""Token counts of a remote server's model, for the story context (models.story.assembly).

The assembler fits memory, lore, the note and the story into a token budget, so it needs the
model's tokenizer. A remote source has none of its own: where the server's preset names a
tokenize endpoint (llama.cpp's llama-server and llama-cpp-python's server, vLLM), every count
is the server's; elsewhere, or when that endpoint does not answer at connection time, the
count is an estimate of CHARS_PER_TOKEN characters a token, and ``counting`` says so, for the
context view. Counts are cached: the assembler asks for the same pieces request after request.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import httpx

from penwright.models.sources.remote_spec import RemoteServer
from penwright.models.sources.remote_text import CHARS_PER_TOKEN

SERVER_COUNTING = "the server's tokenizer"
ESTIMATE_COUNTING = (
    f"an estimate of {CHARS_PER_TOKEN} characters a token (the server offers no tokenizer)"
)
_CACHE_SIZE = 256


class RemoteTokens:
    """``encode`` for a StoryAssembler: the server's token ids, or placeholder ids as many as
    the estimate. One owner thread, like the source that holds it."""

    def __init__(
        self, client: httpx.Client, server: Callable[[], RemoteServer], model: str
    ) -> None:
        self._client = client
        self._server = server
        self._model = model
        self._cache: dict[str, tuple[int, ...]] = {}
        kind = server().kind
        self.counting = ESTIMATE_COUNTING
        if kind.tokenize_path:
            problem = self._probe()
            self.counting = SERVER_COUNTING if not problem else f"{ESTIMATE_COUNTING}; {problem}"

    @property
    def estimated(self) -> bool:
        return self.counting != SERVER_COUNTING

    def encode(self, text: str) -> Sequence[int]:
        ids = self._cache.get(text)
        if ids is None:
            ids = _estimate(text) if self.estimated else self._server_ids(text)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()  # the pieces of the last request come back at once
            self._cache[text] = ids
        return ids

    def _probe(self) -> str:
        """ "" when the tokenize endpoint answers, else why it does not (for ``counting``)."""
        try:
            self._server_ids("Hello")
        except (httpx.HTTPError, ValueError) as error:
            return f"its tokenizer endpoint failed: {str(error)[:120]}"
        return ""

    def _server_ids(self, text: str) -> tuple[int, ...]:
        server = self._server()
        kind = server.kind
        root = server.base_url.rstrip("/").removesuffix("/v1")
        body: dict[str, Any] = {"model": self._model, kind.tokenize_field: text}
        response = self._client.post(
            f"{root}/{kind.tokenize_path}", json=body, headers=server.headers()
        )
        response.raise_for_status()
        tokens = response.json().get("tokens")
        if not isinstance(tokens, list) or not all(isinstance(t, int) for t in tokens):
            raise ValueError("its tokenizer answered without a list of token ids")
        return tuple(tokens)


def _estimate(text: str) -> tuple[int, ...]:
    return (0,) * math.ceil(len(text) / CHARS_PER_TOKEN)
