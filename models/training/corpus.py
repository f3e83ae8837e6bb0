"""The writer's corpus for style training: which files are text, and how much there is.

Files are read by models.files.textfile, the editor's own decoder, so a file the editor would
refuse (binary, undecodable, not a regular file) is skipped here with the same reason. Only
.txt and .md files are looked at inside a folder; a file named directly is tried whatever its
name (the writer chose it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from penwright.models.files.textfile import NotTextError, read_text_file

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
MIN_WORDS = 2_000
"""Below this a LoRA learns the passage by heart rather than the style: refused."""


class CorpusError(Exception):
    """The corpus cannot be trained on; the message says why and what to do."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Corpus:
    """The texts found, in a stable order, with what was skipped and why."""

    texts: list[tuple[str, str]] = field(default_factory=list)  # (path, text)
    skipped: list[Skipped] = field(default_factory=list)
    tokens: int = 0  # filled by count_tokens

    @property
    def files(self) -> int:
        return len(self.texts)

    @property
    def words(self) -> int:
        return sum(len(text.split()) for _, text in self.texts)

    def statistics(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "words": self.words,
            "tokens": self.tokens,
            "paths": [path for path, _ in self.texts],
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


def read_corpus(paths: Sequence[str | Path]) -> Corpus:
    """Read every text file named in ``paths`` (files, or folders searched recursively)."""
    corpus = Corpus()
    for path in _candidates(paths, corpus):
        try:
            text, _format = read_text_file(path)
        except NotTextError as error:
            corpus.skipped.append(Skipped(str(path), str(error)))
            continue
        except OSError as error:
            corpus.skipped.append(Skipped(str(path), f"cannot be read: {error.strerror or error}"))
            continue
        if not text.strip():
            corpus.skipped.append(Skipped(str(path), "the file is empty"))
            continue
        corpus.texts.append((str(path), text))
    return corpus


def _candidates(paths: Iterable[str | Path], corpus: Corpus) -> list[Path]:
    found: list[Path] = []
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file())
            for file in inside:
                if file.suffix.lower() in TEXT_SUFFIXES:
                    found.append(file)
                elif not file.name.startswith("."):
                    corpus.skipped.append(Skipped(str(file), "not a .txt or .md file"))
        elif path.exists():
            found.append(path)
        else:
            corpus.skipped.append(Skipped(str(path), "no such file or folder"))
    return found


def count_tokens(corpus: Corpus, tokenizer: Any) -> int:
    """Tokens of the whole corpus with ``tokenizer`` (stored on the corpus and returned)."""
    corpus.tokens = sum(
        len(tokenizer.encode(text, add_special_tokens=False)) for _, text in corpus.texts
    )
    return corpus.tokens


def check_size(corpus: Corpus, minimum_words: int = MIN_WORDS) -> None:
    """Raise CorpusError when there is nothing or too little to learn from."""
    if not corpus.texts:
        reasons = "; ".join(f"{Path(s.path).name}: {s.reason}" for s in corpus.skipped[:3])
        raise CorpusError(
            "no text found to learn from"
            + (f" ({reasons})" if reasons else ": the folder is empty")
            + ": choose .txt or .md files of your own writing"
        )
    if corpus.words < minimum_words:
        raise CorpusError(
            f"only {corpus.words:,} words found: a style needs at least {minimum_words:,} words "
            "of your writing to learn from (a few chapters)"
        )
