"""Reading what an Editor has laid out, line by line, for the exact-preview tests: each line's
top and each character's x, the preview's characters (its preedit area) included."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtGui import QTextBlock

from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.ghost_drawing import LINE_SEPARATOR

Line = tuple[float, list[tuple[str, float]]]  # top, and each character with its x


def units(text: str) -> list[str]:
    """text indexed as Qt indexes it (UTF-16 units): an astral character takes two slots."""
    out: list[str] = []
    for character in text:
        out.append(character)
        if ord(character) > 0xFFFF:
            out.append("")
    return out


def _lines_of(editor: Editor, block: QTextBlock, text: str) -> Iterator[Line]:
    """The laid-out lines of block, whose layout holds text (the block's, preedit included)."""
    top = editor.blockBoundingGeometry(block).translated(editor.contentOffset()).top()
    layout = block.layout()
    slots = units(text)
    for i in range(layout.lineCount()):
        line = layout.lineAt(i)
        start = line.textStart()
        glyphs = [
            (slots[p], round(line.cursorToX(p)[0], 2))
            for p in range(start, start + line.textLength())
            if slots[p] not in ("", LINE_SEPARATOR)
        ]
        yield round(top + line.y(), 2), glyphs


def layout_lines(editor: Editor) -> list[Line]:
    """Every laid-out line of the document, the preview's included, from the top."""
    lines: list[Line] = []
    block = editor.document().firstBlock()
    while block.isValid():
        text = block.text()
        layout = block.layout()
        at = layout.preeditAreaPosition()
        if at >= 0:
            slots = units(text)
            text = "".join(slots[:at]) + layout.preeditAreaText() + "".join(slots[at:])
        lines.extend(_lines_of(editor, block, text))
        block = block.next()
    return lines
