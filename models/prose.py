"""The rules of prose that several parts share: sentence ends, closers, CJK characters, words.

One Qt-free, torch-free module, so the engine's sentence stop, the editor's accept-a-sentence
(Ctrl+Down) and accept-a-word (Ctrl+Right), and the word count can never disagree.
"""

from __future__ import annotations

import re

# The full-width characters are meant: Chinese and Japanese sentence ends and closing quotes.
CLOSERS = "\"'”’»)]」』）】"  # noqa: RUF001
"""Closing quotes and brackets that belong to the sentence they follow."""
LATIN_SENTENCE_ENDS = ".!?…"
"""End a sentence when whitespace (or the end of the text) follows."""
CJK_SENTENCE_ENDS = "。！？"  # noqa: RUF001
"""End a sentence with nothing after them: these languages put no space between sentences."""
CJK_CHARACTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
"""Kana, CJK ideographs and Hangul syllables, as a regex class body: each one is a word."""

CLOSER_CLASS = f"[{re.escape(CLOSERS)}]"
LATIN_END_CLASS = f"[{re.escape(LATIN_SENTENCE_ENDS)}]"
CJK_END_CLASS = f"[{CJK_SENTENCE_ENDS}]"

MARKUP = re.compile(
    r"<\s*/?\s*[A-Za-z!?][^<>\n]*>|&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);"
)
"""An HTML/XML tag or character entity in text: a document with one keeps markup allowed (the
engine's markup rule, models.generation.rules, and the remote sources' text-level one)."""

OPENING = "Chapter One\n\n"
"""What the model reads before an empty or near-empty text (fewer than NEAR_EMPTY_WORDS words):
the opening of a book, so it writes a story's first lines rather than a web page's menu."""
NEAR_EMPTY_WORDS = 3


def has_markup(text: str) -> bool:
    return MARKUP.search(text) is not None


# One "word" for Ctrl+Right: leading blanks, opening punctuation, then one CJK character or a
# run of word characters (joined by internal apostrophes: "don't" is one word, as writers see
# it), then the punctuation glued to it ("world," "end." "(note)" "dogs'").
_APOSTROPHES = "'\u2019"  # straight and typographic
_LETTERS = rf"[^\s{CJK_CHARACTERS}\W]+"
_NEXT_WORD = re.compile(
    rf"\s*(?:[^\w\s]*(?:[{CJK_CHARACTERS}]|{_LETTERS}(?:[{_APOSTROPHES}]{_LETTERS})*)[^\w\s]*"
    rf"|[^\w\s]+)"
)
# Ctrl+Down: leading blanks, then up to and including a sentence end with its closers, or up to
# the end of the line, whichever comes first. A Latin end only counts before a blank or the end,
# so "3.14" and "e.g." in mid-stream do not cut it short.
_TO_SENTENCE_END = re.compile(
    rf"\s*[^\n]*?(?:{LATIN_END_CLASS}+{CLOSER_CLASS}*(?=\s|\Z)"
    rf"|{CJK_END_CLASS}+{CLOSER_CLASS}*|(?=\n)|\Z)"
)
_WORD = re.compile(rf"[{CJK_CHARACTERS}]|[^\s{CJK_CHARACTERS}]+")


def next_word(text: str) -> str:
    """The first word of text, with the blanks before it and the punctuation glued to it."""
    match = _NEXT_WORD.match(text)
    return match.group(0) if match else text


def to_sentence_end(text: str) -> str:
    """text up to the end of its first sentence (closers included), or of its first line."""
    match = _TO_SENTENCE_END.match(text)
    return match.group(0) if match and match.group(0) else text


def count_words(text: str) -> int:
    """Runs between blanks that hold a letter or digit (a lone "--" or full-width comma is not a
    word); each CJK character counts as one word, as word processors count them."""
    return sum(1 for word in _WORD.findall(text) if any(c.isalnum() for c in word))
