"""Help > Diagnostics: the facts of ``penwright-cli diagnose`` plus the speed of recent suggestions,
with a button that copies it all as plain text for a bug report.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from penwright.models.results import GenerationStats
from penwright.models.spec import ModelInfo

_RECENT_SHOWN = 20
_STATS_COLUMNS = (
    "Time to first token", "Tokens/s", "New tokens", "Prompt tokens", "Reused", "Ended by",
)


def gather_facts(engine_info: ModelInfo | None) -> dict[str, str]:
    """penwright.models.diagnostics.collect_diagnostics, imported only now: it imports torch."""
    try:
        from penwright.models.diagnostics import collect_diagnostics

        return collect_diagnostics(engine_info)
    except Exception as err:  # a diagnosis must show, even when collecting a fact fails
        return {"diagnostics": f"could not be collected: {err}"}


def _stats_row(stats: GenerationStats) -> tuple[str, ...]:
    return (
        f"{stats.time_to_first_token_s * 1000:.0f} ms",
        f"{stats.decode_tokens_per_s:.1f}",
        str(stats.new_tokens),
        str(stats.prompt_tokens),
        str(stats.reused_tokens),
        stats.stop_reason or ("cancelled" if stats.cancelled else ""),
    )


def speed_summary(recent: Sequence[GenerationStats]) -> str:
    """Median time to first token and tokens/s of the recent suggestions, in one line."""
    if not recent:
        return "No suggestions yet."
    ttft = statistics.median(s.time_to_first_token_s for s in recent) * 1000
    speed = statistics.median(s.decode_tokens_per_s for s in recent)
    return (
        f"Last {len(recent)} suggestion{'s' if len(recent) != 1 else ''}: median time to first "
        f"token {ttft:.0f} ms, median {speed:.1f} tokens/s."
    )


def diagnostics_report(facts: Mapping[str, str], recent: Sequence[GenerationStats]) -> str:
    """Everything the dialog shows, as aligned plain text (what Copy puts on the clipboard)."""
    width = max((len(key) for key in facts), default=0) + 1
    lines = [f"{key + ':':<{width}} {value}" for key, value in facts.items()]
    lines += ["", "Recent suggestions (newest first)", speed_summary(recent)]
    if recent:
        lines.append(" | ".join(_STATS_COLUMNS))
        lines += [" | ".join(_stats_row(s)) for s in reversed(recent[-_RECENT_SHOWN:])]
    return "\n".join(lines) + "\n"


def read_only_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    rows_header = table.verticalHeader()
    rows_header.setVisible(False)
    rows_header.setDefaultSectionSize(table.fontMetrics().height() + 8)  # the default is airy
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # read-only: no cell needs a focus frame
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)  # long values (licence expressions, paths) are cut off
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


class DiagnosticsDialog(QDialog):
    """Shows facts (from gather_facts) and recent GenerationStats, oldest first in the list."""

    def __init__(
        self,
        facts: Mapping[str, str],
        recent: Sequence[GenerationStats],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Penwright Diagnostics")
        self._report = diagnostics_report(facts, recent)
        self.facts = read_only_table(("Fact", "Value"), list(facts.items()))
        newest_first = list(reversed(recent[-_RECENT_SHOWN:]))
        self.recent = read_only_table(_STATS_COLUMNS, [_stats_row(s) for s in newest_first])
        self.summary = QLabel(speed_summary(recent))
        self.copy_button = QPushButton("&Copy to clipboard")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.facts, 3)
        layout.addWidget(QLabel("<b>Recent suggestions</b> (newest first)"))
        layout.addWidget(self.summary)
        layout.addWidget(self.recent, 2)
        layout.addWidget(buttons)
        self.resize(680, 620)

    def report(self) -> str:
        return self._report

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self._report)
        self.copy_button.setText("Copied")
