"""The context view: exactly what the model will read for the next suggestion, part by part.

Each part (memory, lore: NAME, note, story) is shown with a tinted background and a label line
above it giving its token count; the labels are not part of the text, and "Copy Text" copies
the text alone, exactly as the model reads it. The header says how many tokens the prompt
takes of the budget and whose tokenizer counted them (a remote server's may be an estimate),
what was cut to fit, and what the prose rules changed (an opening before
a near-empty text, a half-typed word the model re-types).
"""

from __future__ import annotations

import html

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from penwright.models.story.assembly import LORE, MEMORY, NOTE, PromptPreview

_TINTS = {MEMORY: "#e3ecfa", LORE: "#e6f4e4", NOTE: "#fbeed5"}  # the story stays untinted


class ContextView(QDialog):
    """Shows one PromptPreview; ``show_preview`` replaces it, ``show_problem`` says why not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Context: what the model reads next")
        self.setObjectName("context_view")
        self.resize(720, 560)
        self.preview: PromptPreview | None = None
        layout = QVBoxLayout(self)
        self.summary = QLabel("Asking the model…")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("context_summary")
        layout.addWidget(self.summary)
        self.text_view = QTextBrowser()
        self.text_view.setObjectName("context_text")
        layout.addWidget(self.text_view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy Text")
        self.copy_button.setToolTip("The text alone, exactly as the model reads it")
        self.copy_button.clicked.connect(self._copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button = QPushButton("&Refresh")
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_problem(self, message: str) -> None:
        self.preview = None
        self.summary.setText(message)
        self.text_view.clear()

    def show_preview(self, preview: PromptPreview) -> None:
        self.preview = preview
        assembled = preview.assembled
        parts = len(assembled.parts)
        lines = [
            f"{len(preview.prompt_ids):,} of {assembled.budget:,} tokens "
            f"({parts} {'part' if parts == 1 else 'parts'}), counted by {preview.counting}."
        ]
        if assembled.cut:
            lines.append("Cut to fit: " + "; ".join(assembled.cut) + ".")
        else:
            lines.append("Nothing was cut.")
        if preview.opening:
            lines.append(f"The text is nearly empty: the model first reads {preview.opening!r}.")
        if preview.healed:
            lines.append(
                f"The half-typed {preview.healed!r} at the end is re-typed by the model "
                "as it continues, so the suggestion completes the word."
            )
        lines.extend(assembled.problems)
        self.summary.setText(" ".join(lines))
        self.text_view.setHtml(_as_html(preview))

    def exact_text(self) -> str:
        """The text the model reads, without the labels (what Copy Text copies)."""
        if self.preview is None:
            return ""
        return self.preview.opening + self.preview.assembled.text

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.exact_text())


def _as_html(preview: PromptPreview) -> str:
    pieces = ['<div style="font-family: monospace; white-space: pre-wrap;">']
    if preview.opening:
        pieces.append(_label("opening (prose rule)", None))
        pieces.append(_text(preview.opening, "#eeeeee"))
    for part in preview.assembled.parts:
        pieces.append(_label(part.label, part.tokens))
        pieces.append(_text(part.text, _TINTS.get(part.kind)))
    pieces.append("</div>")
    return "".join(pieces)


def _label(name: str, tokens: int | None) -> str:
    count = f" · {tokens:,} tokens" if tokens is not None else ""
    # A line of its own (br: Qt's rich text keeps a div inside pre-wrap text on one line).
    return (
        f'<span style="color: #666666; font-size: small; font-family: sans-serif;">'
        f"▸ {html.escape(name)}{count}</span><br>"
    )


def _text(text: str, tint: str | None) -> str:
    style = f' style="background-color: {tint};"' if tint else ""
    return f"<span{style}>{html.escape(text)}</span>"
