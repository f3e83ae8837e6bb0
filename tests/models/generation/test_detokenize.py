"""Incremental detokenization with the default model's tokenizer (byte fallback, no prefix)."""

from __future__ import annotations

from typing import Any

import pytest

from penwright.models.generation.detokenize import IncrementalDetokenizer

TEXTS = [
    " The quick brown fox, naïve as ever, jumped over 3.14 lazy dogs.",
    "今天天气很好！我们去公园散步吧。",  # noqa: RUF001
    " 𩸽を食べた。鑫𠀀龘 🦜 done",  # rare characters fall back to single UTF-8 bytes
]


@pytest.fixture(scope="module")
def tokenizer(tiny_gemma: Any) -> Any:
    return tiny_gemma.tokenizer


def stream_pieces(tokenizer: Any, prompt: str, continuation: str) -> tuple[list[str], list[int]]:
    prompt_ids = tokenizer(prompt)["input_ids"]
    ids = tokenizer(continuation, add_special_tokens=False)["input_ids"]
    detokenizer = IncrementalDetokenizer(tokenizer, prompt_ids)
    pieces = [detokenizer.push(i) for i in ids]
    pieces.append(detokenizer.flush())
    return pieces, ids


@pytest.mark.parametrize("text", TEXTS)
def test_pieces_reassemble_to_the_decoded_text_without_replacement_chars(
    tokenizer: Any, text: str
) -> None:
    pieces, ids = stream_pieces(tokenizer, "Once upon a time", text)
    assert "".join(pieces) == tokenizer.decode(ids, skip_special_tokens=True) == text
    assert not any("\ufffd" in piece for piece in pieces)


def test_split_characters_are_held_back_until_complete(tokenizer: Any) -> None:
    pieces, ids = stream_pieces(tokenizer, "Fish:", " 𩸽")
    assert any("\ufffd" in tokenizer.decode([i]) for i in ids), "the test needs byte tokens"
    assert [p for p in pieces if p] == [" ", "𩸽"]


def test_leading_space_of_the_first_token_is_kept(tokenizer: Any) -> None:
    pieces, _ = stream_pieces(tokenizer, "Hello", " world")
    assert pieces[0] == " world"


def test_special_tokens_add_no_text(tokenizer: Any) -> None:
    detokenizer = IncrementalDetokenizer(tokenizer, tokenizer("Hi")["input_ids"])
    assert detokenizer.push(tokenizer.eos_token_id) == ""
    assert detokenizer.text == ""
