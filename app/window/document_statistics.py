"""Document Statistics: the document's words by who wrote them, and the models that did."""

from __future__ import annotations

from collections import Counter

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from penwright.app.documents.provenance import Origin, Provenance
from penwright.app.window.tables import fill_rows, read_only_table

ORIGIN_LABELS = {
    Origin.TYPED: "Typed by you",
    Origin.SUGGESTED: "Accepted from suggestions",
    Origin.EDITED: "Accepted, then edited",
}


def origin_rows(counts: Counter[Origin]) -> list[list[str]]:
    """One row per origin and a total: label, words, share of all words."""
    total = sum(counts.values())
    rows = []
    for origin, label in ORIGIN_LABELS.items():
        share = f"{counts[origin] / total:.0%}" if total else "\u2013"
        rows.append([label, f"{counts[origin]:,}", share])
    rows.append(["All words", f"{total:,}", "100%" if total else "\u2013"])
    return rows


def summary(counts: Counter[Origin]) -> str:
    """The status bar's line: "AI 42% · 120 suggested, 30 edited, 900 typed words"."""
    total = sum(counts.values())
    ai = counts[Origin.SUGGESTED] + counts[Origin.EDITED]
    share = f"AI {ai / total:.0%} \u00b7 " if total else ""
    return (
        f"{share}{counts[Origin.SUGGESTED]:,} suggested, {counts[Origin.EDITED]:,} edited, "
        f"{counts[Origin.TYPED]:,} typed words"
    )


class DocumentStatisticsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Document Statistics")
        layout = QVBoxLayout(self)
        self.table = read_only_table(["Written", "Words", "Share"], [])
        layout.addWidget(self.table)
        self.models = QLabel()
        self.models.setWordWrap(True)
        layout.addWidget(self.models)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(460, 260)

    def show_figures(self, provenance: Provenance, text: str) -> None:
        fill_rows(self.table, origin_rows(provenance.words_by_origin(text)))
        sources = dict.fromkeys(span.source.describe() for span in provenance.spans)
        self.models.setText(
            "Suggestions came from: " + "; ".join(sources) if sources else "No suggested text."
        )
