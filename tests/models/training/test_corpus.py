"""The corpus reader: what is text, what is skipped and why, and the minimum size."""

from __future__ import annotations

from pathlib import Path

import pytest

from penwright.models.training.corpus import CorpusError, check_size, read_corpus
from penwright.models.training.heldout import split_blocks


def test_an_empty_folder_is_refused_saying_so(tmp_path: Path) -> None:
    corpus = read_corpus([tmp_path])
    with pytest.raises(CorpusError, match="no text found to learn from: the folder is empty"):
        check_size(corpus)


def test_binary_and_undecodable_files_are_skipped_with_a_reason_each(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "notes.txt").write_bytes(b"caf\xe9 au lait " * 50)  # Latin-1, not UTF-8
    (tmp_path / "data.md").write_bytes(b"text\x00\x01\x02 binary")
    (tmp_path / "chapter.md").write_text("The harbour woke slowly. " * 10, encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert [Path(p).name for p, _ in corpus.texts] == ["chapter.md"]
    reasons = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert reasons["cover.png"] == "not a .txt or .md file"
    assert "UTF-8" in reasons["notes.txt"] or "encoding" in reasons["notes.txt"]
    assert "binary" in reasons["data.md"] or "NUL" in reasons["data.md"]
    assert corpus.words == 40


def test_only_undecodable_files_say_why_nothing_was_found(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_bytes(b"\xff\xfe\x00\xd8" * 10 + b"\x80\x81")
    with pytest.raises(CorpusError, match=r"no text found to learn from \(old.txt: "):
        check_size(read_corpus([tmp_path]))


def test_a_corpus_below_the_minimum_names_the_minimum(tmp_path: Path) -> None:
    (tmp_path / "short.txt").write_text("Only a few words here.", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"only 5 words found: .* at least 2,000 words"):
        check_size(read_corpus([tmp_path / "short.txt"]))


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    corpus = read_corpus([tmp_path / "nowhere"])
    assert corpus.skipped[0].reason == "no such file or folder"


def test_held_out_blocks_are_spread_and_never_trained_on() -> None:
    split = split_blocks(list(range(256 * 30)))
    assert len(split.held_out) == 3
    held = {block[0] for block in split.held_out}
    trained = {block[0] for block in split.train}
    assert not held & trained
    assert max(held) - min(held) >= 256 * 20  # from across the corpus, not one end
