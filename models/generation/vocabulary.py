"""The text of every token, for rules that reason about what a token would write.

Token healing asks "which tokens extend the letters the writer typed?", the markup rule "which
tokens write a tag?". Decoding 262,144 tokens one by one takes seconds; reading the pieces with
``convert_ids_to_tokens`` and undoing the tokenizer's space marker takes ~0.2 s, once per model.

Two piece conventions are understood: SentencePiece's (Gemma, Llama: "▁word", byte tokens
"<0x0A>") and byte-level BPE's (GPT-2, Qwen: "Ġword", every byte a printable stand-in). A token
whose text is not a whole character (half of a UTF-8 sequence) or that is special has no text
(None): the rules never pick it to spell out letters and never ban it.
"""

from __future__ import annotations

import bisect
import re
import weakref
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

_BUILT: weakref.WeakKeyDictionary[Any, Vocabulary] = weakref.WeakKeyDictionary()

_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_SENTENCEPIECE_SPACE = "\u2581"  # ▁
_BYTE_LEVEL_SPACE = "\u0120"  # Ġ, what GPT-2's byte-to-unicode table maps the space to


class Vocabulary:
    """Token id -> the text it writes (None when it writes no whole characters)."""

    def __init__(self, texts: Sequence[str | None], special_ids: Iterable[int] = ()) -> None:
        self.texts = list(texts)
        self.special_ids = frozenset(special_ids)
        # Ids sorted by their text: the tokens whose text starts with a prefix form one run.
        known = {i: text for i, text in enumerate(self.texts) if text}
        self._sorted_ids = sorted(known, key=known.__getitem__)
        self._keys = [known[i] for i in self._sorted_ids]
        self._by_text: dict[str, list[int]] = {}
        for token_id, text in known.items():
            self._by_text.setdefault(text, []).append(token_id)

    @classmethod
    def of(cls, tokenizer: Any) -> Vocabulary:
        """The vocabulary of ``tokenizer``, built once per tokenizer object (~0.5 s for 262k)."""
        known = _BUILT.get(tokenizer)
        if known is None:
            known = _BUILT[tokenizer] = cls._build(tokenizer)
        return known

    @classmethod
    def _build(cls, tokenizer: Any) -> Vocabulary:
        pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
        special = set(getattr(tokenizer, "all_special_ids", ()))
        byte_level = sum(1 for p in pieces[:5000] if p and p.startswith(_BYTE_LEVEL_SPACE)) > sum(
            1 for p in pieces[:5000] if p and p.startswith(_SENTENCEPIECE_SPACE)
        )
        convert = _byte_level_text if byte_level else _sentencepiece_text
        texts = [None if i in special or p is None else convert(p) for i, p in enumerate(pieces)]
        return cls(texts, special)

    def __len__(self) -> int:
        return len(self.texts)

    def text(self, token_id: int) -> str | None:
        return self.texts[token_id] if 0 <= token_id < len(self.texts) else None

    def starting_with(self, prefix: str) -> list[int]:
        """Tokens whose text starts with ``prefix`` (``prefix`` itself included)."""
        low = bisect.bisect_left(self._keys, prefix)
        high = bisect.bisect_left(self._keys, prefix + "\U0010ffff")
        return self._sorted_ids[low:high]

    def prefixes_of(self, text: str, *, whole: bool = False) -> list[int]:
        """Tokens whose text is a non-empty proper prefix of ``text`` (or ``text`` itself too,
        with ``whole``)."""
        found: list[int] = []
        for size in range(1, len(text) + 1 if whole else len(text)):
            found.extend(self._by_text.get(text[:size], ()))
        return found

    def ids_where(self, predicate: Any) -> list[int]:
        """Tokens whose text satisfies ``predicate(text)``."""
        return [i for i, text in enumerate(self.texts) if text and predicate(text)]


def _sentencepiece_text(piece: str) -> str | None:
    byte = _BYTE_TOKEN.fullmatch(piece)
    if byte is not None:
        value = int(byte.group(1), 16)
        return chr(value) if value < 0x80 else None  # a lone byte of a longer character
    return piece.replace(_SENTENCEPIECE_SPACE, " ")


def _byte_level_text(piece: str) -> str | None:
    decoder = _byte_decoder()
    try:
        raw = bytes(decoder[c] for c in piece)
    except KeyError:  # an added token written as plain text
        return piece
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


@cache
def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable stand-in character -> the byte it means."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {char: byte for byte, char in bytes_to_unicode().items()}
