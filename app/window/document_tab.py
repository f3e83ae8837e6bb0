"""One tab of the writing window: its document (editor, file) and everything attached to that
editor alone: its suggestions, its word count and its Find bar.

`install_editor_extras` is the one place a tab's editor gets its per-editor features; the window
calls it for the first tab and for every tab opened later (DocumentWindow.add_document_setup),
so a feature added here works in every tab. Autosave and file watching are attached the same
way by the document session (documents/session.py); the model (the InferenceController) is
the window's, shared by all tabs: each tab's Suggestions only ever shows its own requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from penwright.app.documents.open_document import OpenDocument
from penwright.app.editor.editor_widget import Editor
from penwright.app.editor.find_bar import FindBar
from penwright.app.editor.word_count import WordCounter
from penwright.app.inference.controller import InferenceController
from penwright.app.inference.suggestions import Suggestions
from penwright.models.params import GenerationParams


@dataclass
class DocumentTab:
    """What one tab owns. The document's OpenDocument holds the file side."""

    document: OpenDocument
    editor: Editor
    suggestions: Suggestions
    word_counter: WordCounter
    find_bar: FindBar


def install_editor_extras(
    document: OpenDocument,
    controller: InferenceController,
    params: Callable[[], GenerationParams],
) -> DocumentTab:
    """Attach the per-editor features to a new tab's editor and return the tab."""
    editor = cast(Editor, document.editor)
    suggestions = Suggestions(editor, controller, params, document)
    # Counted per paragraph: recounting a 5 MB text per keystroke would stall typing.
    word_counter = WordCounter(editor.document(), document)
    find_bar = FindBar(editor, document.page)
    document.page_layout.insertWidget(0, find_bar)  # above the text
    return DocumentTab(document, editor, suggestions, word_counter, find_bar)
