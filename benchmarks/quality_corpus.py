"""The quality benchmark's prompts: the corpus shipped in ``penwright/resources/quality/``.

One JSON file per category, each a list of prompts written for the project (no third-party
text). A prompt is where a writer's cursor might be when a suggestion is asked for: the text
before the cursor (``context``), for a mid-paragraph cursor the rest of the paragraph
(``text_after``), and for a mid-word cursor the part of the word already typed (``partial``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

CATEGORIES = (
    "mid_word",  # the context ends inside a word: "Outside, the wind rattl"
    "sentence_end",  # after a finished sentence or paragraph
    "empty",  # an empty document, a blank line or only a title
    "dialogue",  # inside a quotation opened before the cursor
    "mid_paragraph",  # text follows the cursor in the same paragraph (text_after)
    "long_document",  # several paragraphs with repeated names and phrases, inviting copies
)
LANGUAGES = ("en", "zh")
CORPUS_PACKAGE = "penwright.resources"
CORPUS_FOLDER = "quality"


class CorpusError(ValueError):
    """A prompt file that does not say what a prompt must."""


@dataclass(frozen=True)
class Prompt:
    """One benchmark prompt (see the module docstring)."""

    id: str
    language: str
    category: str
    context: str
    text_after: str = ""
    partial: str = ""


def load_corpus() -> list[Prompt]:
    """Every prompt of the installed corpus, file by file in CATEGORIES order."""
    folder = resources.files(CORPUS_PACKAGE).joinpath(CORPUS_FOLDER)
    prompts: list[Prompt] = []
    for category in CATEGORIES:
        name = f"{category}.json"
        try:
            rows = json.loads(folder.joinpath(name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CorpusError(f"{name}: {error}") from error
        prompts += parse_prompts(rows, category, name)
    ids = [p.id for p in prompts]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CorpusError(f"prompt ids used twice: {', '.join(repeated)}")
    return prompts


def parse_prompts(rows: Any, category: str, source: str = "corpus") -> list[Prompt]:
    """The prompts of one category file, checked: a mistake in the corpus should fail loudly
    rather than quietly measure something else."""
    if not isinstance(rows, list):
        raise CorpusError(f"{source}: expected a list of prompts")
    prompts = []
    for row in rows:
        if not isinstance(row, dict):
            raise CorpusError(f"{source}: each prompt is an object, not {row!r}")
        where = f"{source}: {row.get('id', '?')}"
        unknown = set(row) - {"id", "language", "category", "context", "text_after", "partial"}
        if unknown:
            raise CorpusError(f"{where}: unknown fields {sorted(unknown)}")
        fields = {k: row.get(k, "") for k in ("id", "language", "context", "text_after", "partial")}
        if not all(isinstance(v, str) for v in fields.values()) or not fields["id"]:
            raise CorpusError(f"{where}: id, language, context, text_after, partial are text")
        if row.get("category") != category:
            raise CorpusError(f"{where}: category {row.get('category')!r} in {category}'s file")
        if fields["language"] not in LANGUAGES:
            raise CorpusError(f"{where}: language must be one of {', '.join(LANGUAGES)}")
        if category == "mid_word" and not (
            fields["partial"] and fields["context"].endswith(fields["partial"])
        ):
            raise CorpusError(f"{where}: a mid-word prompt's context ends with its partial word")
        if category == "mid_paragraph" and not fields["text_after"]:
            raise CorpusError(f"{where}: a mid-paragraph prompt has text after the cursor")
        prompts.append(Prompt(category=category, **fields))
    return prompts


def spread(prompts: Sequence[Prompt], limit: int | None = None) -> list[Prompt]:
    """The prompts reordered so that any first few cover every category and both languages:
    one of each category in turn, each category alternating its languages. ``limit`` keeps
    that many (None: all)."""
    queues = [_alternate_languages(p for p in prompts if p.category == c) for c in CATEGORIES]
    ordered: list[Prompt] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered if limit is None else ordered[:limit]


def _alternate_languages(prompts: Iterable[Prompt]) -> list[Prompt]:
    prompts = list(prompts)
    by_language = [[p for p in prompts if p.language == lang] for lang in LANGUAGES]
    prompts_in_turn: list[Prompt] = []
    while any(by_language):
        for queue in by_language:
            if queue:
                prompts_in_turn.append(queue.pop(0))
    return prompts_in_turn
