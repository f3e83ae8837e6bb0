"""Spell checking with pyspellchecker's word lists, and the writer's own word list.

A SpellChecker answers whether a word is known (cached per word: the highlighter asks for the
same words over and over) and offers up to five corrections, computed only for the word the
writer asks about. "Add to dictionary" goes to the per-user word list, a plain text file of one
word per line in the user data folder (models.files.folders.data_root), written atomically; it is
shared by every language. "Ignore" lasts for this run.

The word list is read as text, never run: lines that are empty, too long or not one word are
skipped, and a file too large to be a word list is not read at all (logged).
"""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLocale

from penwright.models.files.atomic import write_atomically
from penwright.models.files.folders import data_root

logger = logging.getLogger(__name__)

OFF = "off"
FOLLOW_SYSTEM = "auto"
FALLBACK_LANGUAGE = "en"
LANGUAGE_NAMES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "nl": "Nederlands",
    "ru": "Русский",
    "lv": "Latviešu",
    "eu": "Euskara",
    "ar": "العربية",
    "fa": "فارسی",
}
"""pyspellchecker's languages, in their own names; only those it ships are offered."""
WRITING_TOOL_WORDS = frozenset(
    {"penwright", "ctrl", "alt", "esc", "pgup", "pgdown", "cmd", "markdown", "gguf", "llama"}
)
"""Words of the app itself (its name, the key names its guide and hints use): the welcome guide
would otherwise greet a new writer with a dozen red underlines. Any language, any case."""

MAX_WORD_LIST_BYTES = 4 * 1024 * 1024
MAX_WORD_CHARS = 100


@cache
def available_languages() -> tuple[str, ...]:
    """The language codes whose word list the installed pyspellchecker ships."""
    try:
        folder = resources.files("spellchecker") / "resources"
        shipped = {entry.name.split(".")[0] for entry in folder.iterdir()}
    except (ModuleNotFoundError, OSError):
        return ()
    return tuple(code for code in LANGUAGE_NAMES if code in shipped)


def system_language() -> str:
    """The system locale's language when a word list ships for it, else English."""
    code = QLocale.system().name().split("_")[0].lower()
    return code if code in available_languages() else FALLBACK_LANGUAGE


def resolve_language(setting: str) -> str | None:
    """The language to check in for a setting (off, auto or a code); None: no checking."""
    if setting == OFF:
        return None
    if setting == FOLLOW_SYSTEM or setting not in available_languages():
        return system_language()
    return setting


def default_word_list_path() -> Path:
    return data_root() / "spelling" / "words.txt"


class UserWordList:
    """The writer's own words: one per line in a UTF-8 file, kept in the order added."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._words: list[str] = []
        self._folded: set[str] = set()
        self._read()

    def _read(self) -> None:
        try:
            size = self.path.stat().st_size
            if size > MAX_WORD_LIST_BYTES:
                logger.warning("word list %s is %d bytes: not read", self.path, size)
                return
            text = self.path.read_text("utf-8", errors="replace")
        except FileNotFoundError:
            return
        except OSError:
            logger.warning("cannot read the word list %s", self.path, exc_info=True)
            return
        for line in text.splitlines():
            word = line.strip()
            if word and len(word) <= MAX_WORD_CHARS and not any(c.isspace() for c in word):
                self._remember(word)

    def _remember(self, word: str) -> None:
        if word.casefold() not in self._folded:
            self._words.append(word)
            self._folded.add(word.casefold())

    def __contains__(self, word: str) -> bool:
        return word.casefold() in self._folded

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self._words)

    def add(self, word: str) -> None:
        """Remember word and write the list; OSError when the file cannot be written (the word
        is still known for this run)."""
        if word in self:
            return
        self._remember(word)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, "".join(f"{w}\n" for w in self._words).encode("utf-8"))


@cache
def _dictionary(language: str) -> Any:
    """pyspellchecker's word list for language, read once per run (about 0.2 s for English)
    and shared: nothing here changes it (the writer's words are kept apart)."""
    from spellchecker import SpellChecker as Dictionary  # imported when first needed

    return Dictionary(language=language)


class SpellChecker:
    """The editor's SpellCheck (app/editor/spell_words.py) for one language."""

    def __init__(self, language: str, word_list: UserWordList) -> None:
        self.language = language
        self._dictionary = _dictionary(language)
        self._word_list = word_list
        self._ignored: set[str] = set()
        self._known: dict[str, bool] = {}

    def is_known(self, word: str) -> bool:
        known = self._known.get(word)
        if known is None:
            known = self._look_up(word)
            self._known[word] = known
        return known

    def _look_up(self, word: str) -> bool:
        folded = word.casefold()
        if folded in self._ignored or folded in WRITING_TOOL_WORDS or word in self._word_list:
            return True
        dictionary = self._dictionary
        if folded in dictionary:
            return True
        # A possessive or contraction of a known word ("writer's", "isn't" as "isn" + "t").
        base, _, tail = folded.rpartition("'")
        known_base = base in dictionary or base in WRITING_TOOL_WORDS
        return bool(base) and tail in ("s", "t", "d", "ll", "re", "ve", "m") and known_base

    def suggestions(self, word: str, limit: int = 5) -> list[str]:
        """Up to limit known words near word, the likeliest first, in word's capitalisation."""
        candidates = self._dictionary.candidates(word.casefold()) or set()
        frequency = self._dictionary.word_usage_frequency
        ranked = sorted(candidates - {word.casefold()}, key=lambda w: (-frequency(w), w))
        return [_cased_like(word, c) for c in ranked[:limit]]

    def add(self, word: str) -> None:
        self._forget(word)
        try:
            self._word_list.add(word)
        except OSError:
            logger.warning("cannot save the word list %s", self._word_list.path, exc_info=True)
            raise

    def ignore(self, word: str) -> None:
        self._ignored.add(word.casefold())
        self._forget(word)

    def _forget(self, word: str) -> None:
        """Drop cached answers for word in any capitalisation: it is known now."""
        folded = word.casefold()
        self._known = {w: k for w, k in self._known.items() if w.casefold() != folded}


def _cased_like(original: str, word: str) -> str:
    if original[:1].isupper() and original[1:].islower():
        return word[:1].upper() + word[1:]
    if original.isupper():
        return word.upper()
    return word
