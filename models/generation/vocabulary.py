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
import heapq
import re
import weakref
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from penwright.models.loading.responsive import collections_paused

_BUILT: weakref.WeakKeyDictionary[Any, Vocabulary] = weakref.WeakKeyDictionary()

_PIECES_PER_CALL = 16_384
"""Ids per convert_ids_to_tokens call while building: each call holds the GIL (a few ms)."""
_BYTE_TOKEN = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_SENTENCEPIECE_SPACE = "\u2581"  # ▁
_BYTE_LEVEL_SPACE = "\u0120"  # Ġ, what GPT-2's byte-to-unicode table maps the space to


class Vocabulary:
    """Token id -> the text it writes (None when it writes no whole characters), and the bytes
    it writes (a lone byte of a longer character too)."""

    def __init__(
        self,
        texts: Sequence[str | None],
        special_ids: Iterable[int] = (),
        byte_values: dict[int, int] | None = None,
    ) -> None:
        """``byte_values``: token id -> the byte it stands for, for byte tokens ("<0xE4>")."""
        self.texts = list(texts)
        self.special_ids = frozenset(special_ids)
        self._byte_values = dict(byte_values or {})
        self._by_stripped: dict[str, list[int]] | None = None
        self._byte_tokens: dict[int, int] | None = None
        # Ids sorted by their text: the tokens whose text starts with a prefix form one run.
        known = {i: text for i, text in enumerate(self.texts) if text}
        self._sorted_ids = _sorted_without_stalling(known)
        self._keys = [known[i] for i in self._sorted_ids]
        self._by_text: dict[str, list[int]] = {}
        for token_id, text in known.items():
            self._by_text.setdefault(text, []).append(token_id)

    @classmethod
    def of(cls, tokenizer: Any) -> Vocabulary:
        """The vocabulary of ``tokenizer``, built once per tokenizer object (~0.5 s for 262k)."""
        known = _BUILT.get(tokenizer)
        if known is None:
            # Without the pause, collections of the young objects the build makes held the GIL
            # for 100-260 ms at a time; the vocabulary lives as long as its tokenizer anyway.
            with collections_paused():
                known = _BUILT[tokenizer] = cls._build(tokenizer)
        return known

    @classmethod
    def _build(cls, tokenizer: Any) -> Vocabulary:
        # In slices: one call for all 262k ids held the GIL for 0.25 s in the Rust tokenizer.
        size = len(tokenizer)
        pieces: list[str | None] = []
        for start in range(0, size, _PIECES_PER_CALL):
            pieces.extend(
                tokenizer.convert_ids_to_tokens(
                    list(range(start, min(start + _PIECES_PER_CALL, size)))
                )
            )
        special = set(getattr(tokenizer, "all_special_ids", ()))
        byte_level = sum(1 for p in pieces[:5000] if p and p.startswith(_BYTE_LEVEL_SPACE)) > sum(
            1 for p in pieces[:5000] if p and p.startswith(_SENTENCEPIECE_SPACE)
        )
        convert = _byte_level_text if byte_level else _sentencepiece_text
        texts = [None if i in special or p is None else convert(p) for i, p in enumerate(pieces)]
        byte_values = {
            i: int(match.group(1), 16)
            for i, p in enumerate(pieces)
            if not byte_level and p and (match := _BYTE_TOKEN.fullmatch(p))
        }
        return cls(texts, special, byte_values)

    def __len__(self) -> int:
        return len(self.texts)

    def text(self, token_id: int) -> str | None:
        return self.texts[token_id] if 0 <= token_id < len(self.texts) else None

    def byte_token(self, value: int) -> int | None:
        """The token that stands for the byte ``value`` alone (SentencePiece's "<0xE4>")."""
        if self._byte_tokens is None:
            self._byte_tokens = {byte: token for token, byte in self._byte_values.items()}
        return self._byte_tokens.get(value)

    def ends_inside_a_character(self, token_ids: Sequence[int]) -> bool:
        """Whether the bytes of token_ids stop partway through a character."""
        tail = bytearray()
        for token_id in token_ids[-4:]:
            byte = self._byte_values.get(token_id)
            tail = tail + bytes([byte]) if byte is not None else bytearray()
        try:
            bytes(tail).decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    def decode(self, token_ids: Sequence[int]) -> str | None:
        """The text of token_ids (an incomplete last character left out; special tokens write
        nothing); None if one of them writes something unknown (a byte-level piece)."""
        raw = bytearray()
        for token_id in token_ids:
            byte = self._byte_values.get(token_id)
            if byte is not None:
                raw.append(byte)
                continue
            text = self.text(token_id)
            if text is None and token_id not in self.special_ids:
                return None
            raw += (text or "").encode("utf-8")
        return raw.decode("utf-8", errors="ignore")

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

    def blank_led_prefixes_of(self, text: str) -> list[int]:
        """Tokens that write blanks and then a non-empty prefix of ``text`` (" the", "\n\nThe")."""
        if self._by_stripped is None:
            self._by_stripped = {}
            for token_id, token_text in enumerate(self.texts):
                if token_text and token_text[0].isspace() and (rest := token_text.lstrip()):
                    self._by_stripped.setdefault(rest, []).append(token_id)
        found: list[int] = []
        for size in range(1, len(text) + 1):
            found.extend(self._by_stripped.get(text[:size], ()))
        return found

    def ids_where(self, predicate: Any) -> list[int]:
        """Tokens whose text satisfies ``predicate(text)``."""
        return [i for i, text in enumerate(self.texts) if text and predicate(text)]


def _sorted_without_stalling(texts: dict[int, str]) -> list[int]:
    """The ids sorted by their text. One sorted() of 262k strings holds the GIL for ~0.1 s (a
    stall of the GUI thread while a model loads); sorting slices and merging them in Python
    lets other threads in between."""
    ids = list(texts)
    step = 16_384
    runs = [sorted(ids[i : i + step], key=texts.__getitem__) for i in range(0, len(ids), step)]
    return list(heapq.merge(*runs, key=texts.__getitem__))


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
