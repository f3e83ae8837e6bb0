"""The one QSyntaxHighlighter of a document: light Markdown styling and spelling underlines.

One highlighter does both, because Qt keeps one set of extra formats per block: two
highlighters on a document overwrite each other's. The formats live in the blocks' layouts, never
in the text: the file stays plain text, and undo, the modified flag and saving never see them.

Never blocking typing on a large document: QSyntaxHighlighter highlights every block when it
is attached (and a block again after each edit of it). Blocks far from the viewport are only
marked PENDING, which costs a Python call; the blocks around the viewport are
styled and spell checked, and a short timer does the PENDING ones that scrolling brings near,
a slice at a time. The checker caches its answer per word. Which blocks are done is kept in a
set of their fragment indices (stable while a block lives), not in QTextBlock.userState: the
word counter (word_count.py) keeps each block's count there.

The ghost text (ghost_drawing.py) stays exact: it lives in the block's preedit area, and Qt's
highlighter keeps its ranges around it (a range that reaches the preedit is stretched over it,
so a suggestion in a heading is laid out in the heading's font, as it will be after accepting).
That is why the Markdown markers (the closing one before the caret too) change colour only, in
the ghost's own colour, and an unknown word at the caret waits for its underline while a
suggestion stands there (the underline would stretch over it), as it does while being typed.
A suggestion's lines after its first line break will be plain paragraphs: the ghost painter
puts a plain format over them, after ours (GhostPainter.restack).
Markup inside the suggestion itself (its own *emphasis*) is styled once accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextBlock,
    QTextCharFormat,
    QTextDocument,
)

from penwright.app.editor.spell_words import SpellCheck, checkable_words, utf16_offsets

MARGIN_BLOCKS = 100
"""Blocks styled beyond the visible ones on each side, so short scrolls find them done."""
SLICE_BLOCKS = 40
"""PENDING blocks done per timer tick: one tick stays well under a frame."""
HEADING_SCALE = (1.6, 1.4, 1.25, 1.1, 1.0, 1.0)  # by level: # to ######
MISSPELT_COLOUR = QColor(220, 40, 40)

# Bit flags of what a character is; each combination has one cached QTextCharFormat.
MUTED, BOLD, ITALIC, CODE, MISSPELT = 1, 2, 4, 8, 16
HEADING_LEVEL_SHIFT = 5  # bits 5-7: the heading level (0: none)

_HEADING = re.compile(r"^(#{1,6})([ \t]+)(.*?)([ \t]+#+[ \t]*)?$")
_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![*\w])(\*|_)(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![*\w])")

VisibleBlocks = Callable[[], tuple[int, int]]


class WritingHighlighter(QSyntaxHighlighter):
    """Styles Markdown (when on) and underlines unknown words (when a checker is set).

    visible() gives the first and last block numbers on screen (an estimate is fine);
    muted is the colour of Markdown markers (the ghost text's, so a stretched marker colour
    over a suggestion looks the same); caret() is where a word is being typed (-1: nowhere):
    that word is underlined once the caret leaves it (``caret_moved``).
    """

    def __init__(
        self,
        document: QTextDocument,
        visible: VisibleBlocks,
        muted: Callable[[], QColor],
        caret: Callable[[], int],
    ) -> None:
        super().__init__(document)
        self._visible = visible
        self._muted = muted
        self._caret = caret
        self._held: tuple[int, int] | None = None  # the unknown word at the caret, not shown yet
        self._markdown = False
        self._checker: SpellCheck | None = None
        self._formats: dict[int, QTextCharFormat] = {}
        self._range = (0, MARGIN_BLOCKS)
        self._done: set[int] = set()  # fragment indices of the blocks styled and checked
        self._pending = QTimer(self)
        self._pending.setSingleShot(True)
        self._pending.setInterval(30)
        self._pending.timeout.connect(self._do_pending_slice)
        document.contentsChanged.connect(self.schedule)

    # -- configuration ------------------------------------------------------------------------

    @property
    def markdown(self) -> bool:
        return self._markdown

    @property
    def checker(self) -> SpellCheck | None:
        return self._checker

    def configure(self, markdown: bool, checker: SpellCheck | None) -> None:
        if markdown == self._markdown and checker is self._checker:
            return
        self._markdown = markdown
        self._checker = checker
        self.restyle()

    def detach(self) -> None:
        """Leave the document, taking every format away (the ghost's too)."""
        self._pending.stop()
        self.setDocument(None)  # None detaches

    def restyle(self) -> None:
        """Style again (another font, palette, language or Markdown switched): the blocks near
        the view now, the others when they come near. Not rehighlight(): on a 100 MB document
        one pass over every block would freeze the window for seconds."""
        self._formats.clear()
        self.word_added()

    def word_added(self) -> None:
        """A word became known (added or ignored): the blocks near the view are checked again
        now, the others when they come near."""
        self._done.clear()  # the far ones are checked again when they come near
        self._update_range()
        first, last = self._range
        block = self.document().findBlockByNumber(max(first, 0))
        while block.isValid() and block.blockNumber() <= last:
            self.rehighlightBlock(block)
            block = block.next()

    def caret_moved(self, position: int) -> None:
        """The caret is at position now: an unknown word it left gets its underline."""
        held = self._held
        if held is None or held[0] <= position <= held[1]:
            return
        self._held = None
        self.rehighlightBlock(self.document().findBlock(held[0]))

    # -- the viewport -------------------------------------------------------------------------

    def schedule(self) -> None:
        """The view moved or the text changed: style the PENDING blocks now near the view."""
        if not self._pending.isActive():
            self._pending.start()

    def _update_range(self) -> None:
        first, last = self._visible()
        self._range = (first - MARGIN_BLOCKS, last + MARGIN_BLOCKS)

    def _do_pending_slice(self) -> None:
        if self.document() is None:
            return
        self._update_range()
        first, last = self._range
        block = self.document().findBlockByNumber(max(first, 0))
        done = 0
        while block.isValid() and block.blockNumber() <= last and done < SLICE_BLOCKS:
            if block.fragmentIndex() not in self._done:
                self.rehighlightBlock(block)
                done += 1
            block = block.next()
        if done == SLICE_BLOCKS:
            self._pending.start()  # more to do: the next slice after the event loop breathes

    # -- highlighting -------------------------------------------------------------------------

    def highlightBlock(self, text: str) -> None:
        block = self.currentBlock()
        first, last = self._range
        if not first <= block.blockNumber() <= last:
            self._done.discard(block.fragmentIndex())  # PENDING
            return
        self._done.add(block.fragmentIndex())
        if not text:
            return
        flags = [0] * len(text)
        code = self._style_markdown(text, flags) if self._markdown else []
        if self._checker is not None:
            self._underline_unknown(text, flags, code, block)
        self._apply(text, flags)

    def _style_markdown(self, text: str, flags: list[int]) -> list[tuple[int, int]]:
        """Set the Markdown flags; returns the code spans (never spell checked)."""
        heading = _HEADING.match(text)
        if heading is not None:
            level = len(heading.group(1))
            _mark(flags, 0, heading.end(2), MUTED)
            _mark(flags, heading.start(3), heading.end(3), BOLD | level << HEADING_LEVEL_SHIFT)
            if heading.group(4):
                _mark(flags, heading.start(4), heading.end(4), MUTED)
        code: list[tuple[int, int]] = []
        masked = list(text)
        for match in _CODE.finditer(text):
            _mark(flags, match.start(), match.start(2), MUTED)
            _mark(flags, match.start(2), match.end(2), CODE)
            _mark(flags, match.end(2), match.end(), MUTED)
            code.append((match.start(), match.end()))
            masked[match.start() : match.end()] = " " * (match.end() - match.start())
        rest = "".join(masked)  # emphasis never starts inside code
        for match in _STRONG.finditer(rest):
            _mark_span(flags, match, BOLD)
        rest = _STRONG.sub(_blank_markers, rest)  # its markers are no emphasis markers
        for match in _EMPHASIS.finditer(rest):
            _mark_span(flags, match, ITALIC)
        return code

    def _underline_unknown(
        self, text: str, flags: list[int], code: list[tuple[int, int]], block: QTextBlock
    ) -> None:
        checker = self._checker
        assert checker is not None
        units = utf16_offsets(text)
        at = block.position()
        caret = self._caret()
        caret = caret - at if caret >= at else -1  # in the block's UTF-16 units
        if self._held is not None and self._held[0] >= at and self._held[1] <= at + len(text):
            self._held = None  # this block is being looked at again
        for start, end, word in checkable_words(text):
            if any(a <= start < b for a, b in code) or checker.is_known(word):
                continue
            first, last = (start, end) if units is None else (units[start], units[end])
            if first <= caret <= last:
                # Being typed: no underline yet. A suggestion or an input method's text at the
                # caret would also stretch the underline over itself.
                self._held = (at + first, at + last)
                continue
            _mark(flags, start, end, MISSPELT)

    def _apply(self, text: str, flags: list[int]) -> None:
        units = utf16_offsets(text)
        start = 0
        while start < len(flags):
            value = flags[start]
            end = start + 1
            while end < len(flags) and flags[end] == value:
                end += 1
            if value:
                if units is None:
                    self.setFormat(start, end - start, self._format(value))
                else:
                    self.setFormat(units[start], units[end] - units[start], self._format(value))
            start = end

    def _format(self, value: int) -> QTextCharFormat:
        cached = self._formats.get(value)
        if cached is not None:
            return cached
        fmt = QTextCharFormat()
        if value & MUTED:
            fmt.setForeground(self._muted())
        if value & BOLD:
            fmt.setFontWeight(QFont.Weight.Bold)
        if value & ITALIC:
            fmt.setFontItalic(True)
        if value & CODE:
            fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            fmt.setFontFamilies([fixed.family(), "monospace"])
            fmt.setFontFixedPitch(True)
        level = value >> HEADING_LEVEL_SHIFT
        if level:
            size = self.document().defaultFont().pointSizeF()
            if size > 0:
                fmt.setFontPointSize(size * HEADING_SCALE[level - 1])
        if value & MISSPELT:
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SpellCheckUnderline)
            fmt.setUnderlineColor(MISSPELT_COLOUR)
        self._formats[value] = fmt
        return fmt


def _mark(flags: list[int], start: int, end: int, value: int) -> None:
    for index in range(start, min(end, len(flags))):
        flags[index] |= value


def _mark_span(flags: list[int], match: re.Match[str], style: int) -> None:
    """Markers (group 1, repeated after group 2) muted, the content (group 2) in style."""
    _mark(flags, match.start(), match.start(2), MUTED)
    _mark(flags, match.start(2), match.end(2), style)
    _mark(flags, match.end(2), match.end(), MUTED)


def _blank_markers(match: re.Match[str]) -> str:
    marker = " " * len(match.group(1))
    return marker + match.group(2) + marker
