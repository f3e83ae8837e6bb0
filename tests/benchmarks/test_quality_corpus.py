"""The shipped prompt corpus: it loads from the installed package and covers what the issue
asks for (every category, English and Chinese, enough prompts)."""

from __future__ import annotations

import tomllib
from collections import Counter
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

from penwright.benchmarks.quality_corpus import (
    CATEGORIES,
    CORPUS_FOLDER,
    CORPUS_PACKAGE,
    LANGUAGES,
    CorpusError,
    load_corpus,
    parse_prompts,
    spread,
)
from penwright.benchmarks.quality_metrics import has_markup

ROOT = Path(__file__).resolve().parents[2]


def test_the_corpus_loads_from_the_package_resources_with_every_category_and_language() -> None:
    folder = resources.files(CORPUS_PACKAGE).joinpath(CORPUS_FOLDER)
    assert all(folder.joinpath(f"{c}.json").is_file() for c in CATEGORIES)
    prompts = load_corpus()
    assert len(prompts) >= 60
    assert set(Counter(p.category for p in prompts)) == set(CATEGORIES)
    languages = Counter(p.language for p in prompts)
    assert set(languages) == set(LANGUAGES)
    assert languages["zh"] * 3 >= len(prompts)  # at least a third Chinese
    for category in CATEGORIES:
        assert {p.language for p in prompts if p.category == category} == set(LANGUAGES)
    assert len({p.id for p in prompts}) == len(prompts)


def test_the_prompts_are_what_their_category_says() -> None:
    prompts = load_corpus()
    assert not any(has_markup(p.context + p.text_after) for p in prompts)  # all prose
    for p in prompts:
        if p.category == "mid_word":
            assert p.partial and p.context.endswith(p.partial)
            assert p.context[-len(p.partial) - 1 :][0].isspace() or p.language == "zh"
        if p.category == "mid_paragraph":
            assert p.text_after
        if p.category == "empty":
            assert len(p.context) < 30
        if p.category == "long_document":
            assert p.context.count("\n\n") >= 2 or len(p.context) > 400
    assert "" in {p.context for p in prompts if p.category == "empty"}
    dialogue = [p for p in prompts if p.category == "dialogue"]
    assert {'"', "\u201c", "\u300c"} <= {
        q for p in dialogue for q in p.context if q in '"\u201c\u300c'
    }


def test_a_few_prompts_spread_over_categories_and_languages() -> None:
    prompts = load_corpus()
    first = spread(prompts, 12)
    assert {p.category for p in first} == set(CATEGORIES)
    assert {p.language for p in first} == set(LANGUAGES)
    assert sorted(p.id for p in spread(prompts)) == sorted(p.id for p in prompts)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"id": "x"}, "a list"),
        ([{"id": "x", "language": "fr", "category": "empty", "context": ""}], "language"),
        ([{"id": "x", "language": "en", "category": "dialogue", "context": ""}], "category"),
        ([{"id": "x", "language": "en", "category": "empty", "context": 3}], "text"),
        ([{"id": "x", "language": "en", "category": "empty", "context": "", "note": 1}], "unknown"),
    ],
)
def test_a_broken_prompt_file_fails_loudly(rows: object, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        parse_prompts(rows, "empty")


def test_a_mid_word_prompt_must_end_with_its_partial_word() -> None:
    row = {"id": "x", "language": "en", "category": "mid_word", "context": "the wind rattl"}
    assert parse_prompts([{**row, "partial": "rattl"}], "mid_word")[0].partial == "rattl"
    with pytest.raises(CorpusError, match="partial"):
        parse_prompts([{**row, "partial": "shook"}], "mid_word")


def test_a_wheel_would_carry_every_corpus_file() -> None:
    # The editable install reads the source tree, so only the package data says what a wheel
    # installs: every file in resources/quality must match one of its globs.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"][CORPUS_PACKAGE]
    files = [
        p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources" / CORPUS_FOLDER).iterdir()
    ]
    assert files
    assert all(any(fnmatch(f, g) for g in globs) for f in files), (files, globs)
