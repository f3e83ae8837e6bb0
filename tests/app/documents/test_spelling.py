"""The spell checker and the writer's word list: what is known, what is offered, what is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from penwright.app.documents.spelling import (
    MAX_WORD_LIST_BYTES,
    SpellChecker,
    UserWordList,
    available_languages,
    resolve_language,
    system_language,
)
from penwright.app.editor.spell_words import checkable_words


def words(text: str) -> list[str]:
    return [word for _, _, word in checkable_words(text)]


def test_only_words_a_dictionary_can_judge_are_checked() -> None:
    text = (
        "NASA and the BBC met at www.example.org, https://exampel.com/x?y=1 and "
        "me@exampel.org; R2D2 had 3rd place, snake_case too. "
        "他说好。日本語のテキスト 한국어 문장 The writer\u2019s desk, a I."
    )
    assert words(text) == ["and", "the", "met", "at", "and", "had", "place", "too", "The",
                           "writer's", "desk"]  # fmt: skip


def test_the_checker_knows_words_possessives_and_contractions(tmp_path: Path) -> None:
    checker = SpellChecker("en", UserWordList(tmp_path / "words.txt"))
    for word in ("The", "lighthouse", "writer's", "didn't", "They'll"):
        assert checker.is_known(word), word
    for word in ("climbd", "lighthuose", "wrod"):
        assert not checker.is_known(word), word


def test_suggestions_are_few_likely_and_keep_the_capital(tmp_path: Path) -> None:
    checker = SpellChecker("en", UserWordList(tmp_path / "words.txt"))
    suggestions = checker.suggestions("Wrold")
    assert suggestions[0] == "World" and len(suggestions) <= 5
    assert "walked" in checker.suggestions("walkd")
    assert checker.suggestions("qzxvbnmw") == []


def test_the_word_list_is_plain_text_one_word_a_line(tmp_path: Path) -> None:
    path = tmp_path / "spelling" / "words.txt"
    words_list = UserWordList(path)
    words_list.add("Zarathine")
    words_list.add("zarathine")  # the same word
    words_list.add("Velmorra")
    assert path.read_text("utf-8") == "Zarathine\nVelmorra\n"
    assert [p.name for p in path.parent.iterdir()] == ["words.txt"]  # no temporary left
    again = UserWordList(path)
    assert again.words == ("Zarathine", "Velmorra") and "VELMORRA" in again


def test_a_damaged_word_list_is_read_as_far_as_it_is_words(tmp_path: Path) -> None:
    path = tmp_path / "words.txt"
    path.write_bytes(b"good\n\n  spaced  \ntwo words\n" + b"x" * 500 + b"\n\xff\xfebad\nlast")
    assert UserWordList(path).words == ("good", "spaced", "\ufffd\ufffdbad", "last")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"word\n" * (MAX_WORD_LIST_BYTES // 5 + 1))
    assert UserWordList(huge).words == ()  # not a word list: not read, not an error


def test_a_word_list_that_cannot_be_written_raises_but_the_word_is_known(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", "utf-8")
    checker = SpellChecker("en", UserWordList(blocker / "words.txt"))
    assert not checker.is_known("Zarathine")
    with pytest.raises(OSError):
        checker.add("Zarathine")
    assert checker.is_known("Zarathine")  # for this run at least


def test_the_language_follows_the_setting_and_the_system() -> None:
    assert {"en", "es", "fr", "de", "pt", "it", "nl", "ru"} <= set(available_languages())
    assert resolve_language("off") is None
    assert resolve_language("fr") == "fr"
    assert resolve_language("auto") == system_language()
    assert resolve_language("xx") == system_language()  # a language that no longer ships


def test_another_language_knows_its_words(tmp_path: Path) -> None:
    checker = SpellChecker("es", UserWordList(tmp_path / "words.txt"))
    assert checker.is_known("mañana") and checker.is_known("casa")
    assert not checker.is_known("lighthouse")


def test_the_app_s_own_words_are_known_so_the_welcome_guide_is_not_marked(tmp_path: Path) -> None:
    checker = SpellChecker("en", UserWordList(tmp_path / "words.txt"))
    for word in ("Penwright", "Penwright's", "Ctrl", "Alt", "Esc"):
        assert checker.is_known(word), word
    german = SpellChecker("de", UserWordList(tmp_path / "words.txt"))
    assert german.is_known("Ctrl") and german.is_known("Penwright")
