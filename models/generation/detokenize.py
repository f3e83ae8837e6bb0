"""Incremental detokenization: turn generated token ids into text that will not change.

Decoding one token at a time goes wrong in two ways: a byte-fallback token may be half of a
multi-byte character (it decodes to U+FFFD until the rest arrives), and some tokenizers drop or
add a leading space when a token is decoded at the start of a sequence. Like vLLM's incremental
detokenizer, we decode a short window that starts a few tokens back (``prefix_offset``) and emit
only what the newest tokens add beyond the text of that window without them (``read_offset``),
holding back while the tail is an incomplete character.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

# Tokens of the prompt decoded before the first generated one, so its leading space is right.
_CONTEXT_TOKENS = 5
_REPLACEMENT_CHAR = "\ufffd"


class Decoder(Protocol):
    """The part of a Hugging Face tokenizer this module needs."""

    def decode(self, token_ids: list[int], skip_special_tokens: bool = ...) -> str: ...


class IncrementalDetokenizer:
    """Accumulates the text of one continuation as its tokens arrive. Not thread-safe."""

    def __init__(self, tokenizer: Decoder, prompt_ids: Sequence[int]) -> None:
        self._tokenizer = tokenizer
        self._ids = list(prompt_ids[-_CONTEXT_TOKENS:])
        self._prefix_offset = 0
        self._read_offset = len(self._ids)
        self._text = ""

    @property
    def text(self) -> str:
        """All stable text decoded so far."""
        return self._text

    def push(self, token_id: int) -> str:
        """Add one generated token; return the text it makes stable (often "", never partial)."""
        self._ids.append(token_id)
        prefix_text = self._decode(self._ids[self._prefix_offset : self._read_offset])
        full_text = self._decode(self._ids[self._prefix_offset :])
        if len(full_text) <= len(prefix_text) or full_text.endswith(_REPLACEMENT_CHAR):
            # Nothing new yet, or the newest bytes are an incomplete character: wait for more.
            return ""
        new_text = full_text[len(prefix_text) :]
        self._prefix_offset = self._read_offset
        self._read_offset = len(self._ids)
        self._text += new_text
        return new_text

    def flush(self) -> str:
        """At the end of the continuation: return whatever is still held back, even if partial."""
        prefix_text = self._decode(self._ids[self._prefix_offset : self._read_offset])
        full_text = self._decode(self._ids[self._prefix_offset :])
        rest = full_text[len(prefix_text) :] if full_text.startswith(prefix_text) else ""
        self._prefix_offset = self._read_offset = len(self._ids)
        self._text += rest
        return rest

    def _decode(self, ids: list[int]) -> str:
        return self._tokenizer.decode(ids, skip_special_tokens=True)
