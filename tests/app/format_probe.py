"""Reading the highlighter's formats from an Editor's layouts, for the spelling tests."""

from __future__ import annotations

from PySide6.QtGui import QTextCharFormat

from penwright.app.editor.editor_widget import Editor

WAVE = QTextCharFormat.UnderlineStyle.SpellCheckUnderline


def underlined(editor: Editor) -> list[str]:
    """The words of the document with the red wave under them, in order."""
    words = []
    block = editor.document().firstBlock()
    while block.isValid():
        text = block.text()
        for r in block.layout().formats():
            if r.format.underlineStyle() == WAVE:
                words.append(text[r.start : r.start + r.length])
        block = block.next()
    return words
