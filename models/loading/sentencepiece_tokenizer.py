"""A Gemma tokenizer over SentencePiece that loads without holding the GIL for long.

transformers' GemmaTokenizer builds a Rust tokenizer from tokenizer.json in one call that holds the
GIL for about a second (262k tokens, 515k merges): the window's thread cannot run Python
meanwhile. SentencePiece loads its ``tokenizer.model`` and encodes with the GIL released, and
everything else here is short Python steps. The model file comes from the GGUF
(penwright.models.loading.sentencepiece_model), built to tokenize exactly as the GemmaTokenizer
transformers converts from the same GGUF; tests/models/loading/test_sentencepiece_tokenizer.py
compares the two token for token.

What this reproduces of the transformers tokenizer, and how:
- Encoding: control tokens written in the text ("<start_of_turn>", "<bos>") are matched whole,
  as transformers matches its special added tokens (SentencePiece never matches control pieces,
  so the text is split on them here); user-defined pieces ("\\n\\n", "<table>") are matched by
  SentencePiece itself; ``add_special_tokens`` prepends <bos>.
- Decoding is done in Python from the pieces, as the transformers decoder chain does it (U+2581
  to space, then byte fallback, then join): a run of byte tokens that is not valid UTF-8 becomes
  one U+FFFD per byte, where SentencePiece would keep the valid characters in it.
- The surface the engine, benchmarks and tests use: ``__call__`` (a BatchEncoding), ``decode``,
  ``convert_ids_to_tokens``, ``convert_tokens_to_ids``, ``len``, the special tokens and ids.

Not thread-safe beyond what SentencePiece is; like the engine, it has one owner thread.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, overload

from penwright.models.errors import ModelLoadError
from penwright.models.loading.responsive import collections_paused
from penwright.models.loading.sentencepiece_model import SENTENCEPIECE_FILE

_CHUNK = 16_384
"""Ids per SentencePiece call when reading the vocabulary: each call holds the GIL (a few ms)."""

_SPECIAL_NAMES = ("bos_token", "eos_token", "unk_token", "pad_token", "mask_token")
_BYTE_PIECE = re.compile(r"<0x([0-9A-Fa-f]{2})>")
_REPLACEMENT = "\ufffd"


class SentencePieceTokenizer:
    """Token ids <-> text for a Gemma model, equal to transformers' GemmaTokenizer."""

    def __init__(self, model_file: Path, special_tokens: dict[str, str], name_or_path: str):
        """Load ``model_file`` (ModelLoadError when it is not a SentencePiece model)."""
        import sentencepiece

        self.name_or_path = name_or_path
        processor = sentencepiece.SentencePieceProcessor()
        try:
            processor.LoadFromFile(str(model_file))  # releases the GIL while it parses
        except (OSError, RuntimeError) as exc:
            raise ModelLoadError(
                f"cannot load the SentencePiece model {model_file}: {exc}"
            ) from exc
        self._processor = processor
        size = processor.GetPieceSize()
        self._pieces: list[str] = []
        for start in range(0, size, _CHUNK):
            self._pieces.extend(processor.IdToPiece(list(range(start, min(start + _CHUNK, size)))))
        self._ids = {piece: token_id for token_id, piece in enumerate(self._pieces)}
        # Control and unknown pieces are transformers' special added tokens: matched whole in
        # text, dropped by skip_special_tokens.
        self._special_ids = frozenset(
            i for i in range(size) if processor.IsControl(i) or processor.IsUnknown(i)
        )
        self._byte_values = {
            i: int(match.group(1), 16)
            for i in range(size)
            if processor.IsByte(i) and (match := _BYTE_PIECE.fullmatch(self._pieces[i]))
        }
        self._special_pattern = _alternation(self._pieces[i] for i in self._special_ids)
        self._named: dict[str, str] = {}
        for name in _SPECIAL_NAMES:
            token = special_tokens.get(name)
            if isinstance(token, str) and token in self._ids:
                self._named[name] = token

    @classmethod
    def from_folder(cls, folder: Path) -> SentencePieceTokenizer:
        """The tokenizer of a converted folder: its tokenizer.model and the special tokens its
        tokenizer_config.json names. ModelLoadError when either is missing or unreadable."""
        model_file = folder / SENTENCEPIECE_FILE
        if not model_file.is_file():
            raise ModelLoadError(f"{folder} has no {SENTENCEPIECE_FILE}")
        try:
            settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ModelLoadError(f"cannot read the tokenizer settings in {folder}: {exc}") from exc
        special = {k: v for k, v in settings.items() if k in _SPECIAL_NAMES and isinstance(v, str)}
        # Unpaused, collections of the 262k pieces' containers held the GIL for up to 190 ms.
        with collections_paused():
            tokenizer = cls(model_file, special, str(folder))
        problem = tokenizer._shape_problem(_config_vocab_size(folder))
        if problem is not None:
            raise ModelLoadError(f"the SentencePiece model {model_file} is damaged: {problem}")
        return tokenizer

    def _shape_problem(self, vocab_size: int | None) -> str | None:
        """Why the loaded model cannot be the one written for this folder (None if it can):
        a truncated file parses into fewer pieces and SentencePiece's default normalizer, which
        collapses and prefixes spaces."""
        if vocab_size is not None and len(self._pieces) != vocab_size:
            return f"{len(self._pieces):,} pieces, the model has {vocab_size:,} tokens"
        if self.bos_token_id is None or self.eos_token_id is None:
            return "it lacks the <bos> or <eos> token"
        spaces = self._processor.EncodeAsPieces("  x")
        if "".join(spaces) != "\u2581\u2581x":
            return "its normalizer is not the identity one the converter writes"
        return None

    # -----------------------------------------------------------------------------------------
    # Encoding

    def __call__(
        self, text: str, add_special_tokens: bool = True, return_tensors: str | None = None
    ) -> Any:
        """A transformers BatchEncoding with ``input_ids`` and ``attention_mask`` (lists, or
        1 x n tensors with ``return_tensors="pt"``), as the transformers tokenizer returns."""
        from transformers import BatchEncoding

        if not isinstance(text, str):
            raise TypeError(f"text must be a str, not {type(text).__name__}")
        ids = self.encode(text, add_special_tokens=add_special_tokens)
        data = {"input_ids": ids, "attention_mask": [1] * len(ids)}
        return BatchEncoding(data, tensor_type=return_tensors, prepend_batch_axis=True)

    def encode(self, text: str, add_special_tokens: bool = True) -> list[int]:
        """The token ids of ``text`` (with <bos> first when ``add_special_tokens``)."""
        ids: list[int] = []
        if add_special_tokens and self.bos_token_id is not None:
            ids.append(self.bos_token_id)
        start = 0
        for match in self._special_pattern.finditer(text) if self._special_pattern else ():
            if match.start() > start:
                ids.extend(self._processor.EncodeAsIds(text[start : match.start()]))
            ids.append(self._ids[match.group()])
            start = match.end()
        if start < len(text):
            ids.extend(self._processor.EncodeAsIds(text[start:]))
        return ids

    # -----------------------------------------------------------------------------------------
    # Decoding

    def decode(self, ids: Any, skip_special_tokens: bool = False, **_ignored: Any) -> str:
        """The text of ``ids`` (a list, an int or a tensor), as transformers' decoder writes it:
        U+2581 becomes a space, byte tokens become the characters they spell (U+FFFD for each
        byte of a run that is not valid UTF-8), ids outside the vocabulary are dropped."""
        parts: list[str] = []
        run = bytearray()
        for token_id in _id_list(ids):
            if not 0 <= token_id < len(self._pieces):
                continue
            if skip_special_tokens and token_id in self._special_ids:
                continue
            value = self._byte_values.get(token_id)
            if value is not None:
                run.append(value)
                continue
            if run:
                parts.append(_bytes_text(run))
                run.clear()
            parts.append(self._pieces[token_id].replace("\u2581", " "))
        if run:
            parts.append(_bytes_text(run))
        return "".join(parts)

    # -----------------------------------------------------------------------------------------
    # Vocabulary

    @overload
    def convert_ids_to_tokens(self, ids: int, skip_special_tokens: bool = False) -> str: ...
    @overload
    def convert_ids_to_tokens(
        self, ids: Sequence[int], skip_special_tokens: bool = False
    ) -> list[str]: ...
    def convert_ids_to_tokens(self, ids: Any, skip_special_tokens: bool = False) -> Any:
        if isinstance(ids, int):
            return self._pieces[ids]
        pieces = self._pieces
        special = self._special_ids if skip_special_tokens else frozenset()
        return [pieces[i] for i in _id_list(ids) if i not in special]

    def convert_tokens_to_ids(self, tokens: str | Iterable[str]) -> Any:
        """Ids of pieces; an unknown piece gives the unknown token's id, as in transformers."""
        if isinstance(tokens, str):
            return self._ids.get(tokens, self.unk_token_id)
        return [self._ids.get(token, self.unk_token_id) for token in tokens]

    def __len__(self) -> int:
        return len(self._pieces)

    @property
    def vocab_size(self) -> int:
        return len(self._pieces)

    @property
    def special_ids(self) -> frozenset[int]:
        """Every control token (what ``skip_special_tokens`` drops), not just the named ones."""
        return self._special_ids

    @property
    def all_special_tokens(self) -> list[str]:
        return list(dict.fromkeys(self._named.values()))

    @property
    def all_special_ids(self) -> list[int]:
        return [self._ids[token] for token in self.all_special_tokens]

    def _named_id(self, name: str) -> int | None:
        token = self._named.get(name)
        return None if token is None else self._ids[token]

    bos_token = property(lambda self: self._named.get("bos_token"))
    eos_token = property(lambda self: self._named.get("eos_token"))
    unk_token = property(lambda self: self._named.get("unk_token"))
    pad_token = property(lambda self: self._named.get("pad_token"))
    mask_token = property(lambda self: self._named.get("mask_token"))
    bos_token_id = property(lambda self: self._named_id("bos_token"))
    eos_token_id = property(lambda self: self._named_id("eos_token"))
    unk_token_id = property(lambda self: self._named_id("unk_token"))
    pad_token_id = property(lambda self: self._named_id("pad_token"))
    mask_token_id = property(lambda self: self._named_id("mask_token"))

    def __repr__(self) -> str:
        return f"SentencePieceTokenizer({self.name_or_path!r}, {len(self):,} tokens)"


def _config_vocab_size(folder: Path) -> int | None:
    """config.json's vocab_size (None when unreadable: the other checks still apply)."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    size = config.get("vocab_size") if isinstance(config, dict) else None
    return size if isinstance(size, int) else None


def _id_list(ids: Any) -> list[int]:
    if hasattr(ids, "tolist"):  # a tensor or numpy array
        ids = ids.tolist()
    if isinstance(ids, int):
        return [ids]
    return [int(i) for i in ids]


def _bytes_text(run: bytearray) -> str:
    """transformers' ByteFallback decoder: the run's text, or U+FFFD per byte if invalid."""
    try:
        return run.decode("utf-8")
    except UnicodeDecodeError:
        return _REPLACEMENT * len(run)


def _alternation(tokens: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching any of ``tokens``, the longest first where several start alike
    (transformers matches added tokens leftmost-longest)."""
    ordered = sorted(set(tokens), key=lambda t: (-len(t), t))
    return re.compile("|".join(map(re.escape, ordered))) if ordered else None


PROBES = (
    "The old lighthouse keeper climbed the stairs every evening, and the gulls  followed.",
    "  Two leading spaces,\ttabs\t\tand   runs of spaces.  \n\n\nA paragraph.\n \n",
    "中文的句子\uff0c还有标点。日本語のテキスト、한국어 문장。",
    "emoji 😀👍🏽 🇫🇷 👨‍👩‍👧, combining e\u0301, ligature ﬁ, rare 𓀀 \U0010fffd",
    "<start_of_turn>user\nhi<end_of_turn> <bos>x<eos> <unk> <table><b>bold</b> [multimodal]",
    "literal <0x41> and \u2581 and <bo",
)
"""Texts on which a SentencePiece tokenizer must equal the transformers one before it is used."""


def disagreement(candidate: Any, reference: Any) -> str | None:
    """Where ``candidate`` tokenizes PROBES differently from ``reference`` (None if nowhere)."""
    if len(candidate) != len(reference):
        return f"{len(candidate):,} tokens, not {len(reference):,}"
    for text in PROBES:
        ids = reference(text)["input_ids"]
        if candidate(text)["input_ids"] != ids:
            return f"the token ids of {text[:30]!r}"
        for skip in (False, True):
            if candidate.decode(ids, skip_special_tokens=skip) != reference.decode(
                ids, skip_special_tokens=skip
            ):
                return f"the decoded text of {text[:30]!r}"
    if candidate.all_special_ids != list(reference.all_special_ids):
        return "the special token ids"
    return None
