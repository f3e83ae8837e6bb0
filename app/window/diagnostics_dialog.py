"""Help > Diagnostics: the facts of ``penwright-cli diagnose``, the speed of recent suggestions and
the end of the log file, with a button that copies it all as plain text for a bug report.

Gathering the facts imports torch and asks the GPUs, which can take seconds: the dialog opens at
once with what the window knows (known_facts) and ``collect`` gathers the rest on a worker thread
(app.tasks), showing it when it arrives.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable, Mapping, Sequence
from html import escape as html_escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from penwright.app.tasks import LatestTask, in_thread
from penwright.app.window.tables import fill_rows, read_only_table
from penwright.models.results import GenerationStats
from penwright.models.spec import ModelInfo

logger = logging.getLogger(__name__)

COLLECTING = "collecting\u2026"
LOG_LINES_SHOWN = 40
FactsGatherer = Callable[[], Mapping[str, str]]
"""Gathers every fact (blocking; runs on a worker thread)."""
LogReader = Callable[[int], list[str]]
"""The last n lines of the log file (models.files.logs.last_log_lines; runs on a worker thread)."""

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
        logger.exception("collecting the diagnostics failed")
        return {"diagnostics": f"could not be collected: {err}"}


def known_facts(engine_info: ModelInfo | None) -> dict[str, str]:
    """What the window knows without importing torch: the model in use (shown while gathering)."""
    if engine_info is None:
        return {"model": "none loaded"}
    facts = {
        "model": engine_info.name,
        "model path": engine_info.path,
        "model device": engine_info.device,
        "model precision": engine_info.precision,
    }
    if engine_info.fallback_reason:
        facts["fallback reason"] = engine_info.fallback_reason
    return facts


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


def diagnostics_report(
    facts: Mapping[str, str],
    recent: Sequence[GenerationStats],
    log_file: str = "",
    log_lines: Sequence[str] = (),
) -> str:
    """Everything the dialog shows, as aligned plain text (what Copy puts on the clipboard)."""
    width = max((len(key) for key in facts), default=0) + 1
    lines = [f"{key + ':':<{width}} {value}" for key, value in facts.items()]
    lines += ["", "Recent suggestions (newest first)", speed_summary(recent)]
    if recent:
        lines.append(" | ".join(_STATS_COLUMNS))
        lines += [" | ".join(_stats_row(s)) for s in reversed(recent[-_RECENT_SHOWN:])]
    if log_file:
        lines += ["", f"Log file: {log_file}", f"Last log lines ({len(log_lines)})", *log_lines]
    return "\n".join(lines) + "\n"




class DiagnosticsDialog(QDialog):
    """Shows facts (from gather_facts), recent GenerationStats (newest first) and the log's end.

    ``collect`` replaces the facts and log lines with freshly gathered ones, off the GUI thread;
    facts_collected follows once they show. Closing the dialog drops a collection under way.
    """

    facts_collected = Signal()

    def __init__(
        self,
        facts: Mapping[str, str],
        recent: Sequence[GenerationStats],
        parent: QWidget | None = None,
        *,
        log_file: str = "",
        log_lines: Sequence[str] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Penwright Diagnostics")
        self._facts = dict(facts)
        self._recent = list(recent)
        self._log_file = log_file
        self._log_lines = list(log_lines)
        self._collecting = LatestTask()
        self.facts = read_only_table(("Fact", "Value"), list(facts.items()))
        newest_first = list(reversed(recent[-_RECENT_SHOWN:]))
        self.recent = read_only_table(_STATS_COLUMNS, [_stats_row(s) for s in newest_first])
        self.summary = QLabel(speed_summary(recent))
        self.log_path = QLabel()
        self.log_path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log_path.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._show_log()
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
        layout.addWidget(self.log_path)
        layout.addWidget(self.log, 2)
        layout.addWidget(buttons)
        self.resize(720, 760)

    def report(self) -> str:
        return diagnostics_report(self._facts, self._recent, self._log_file, self._log_lines)

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.report())
        self.copy_button.setText("Copied")

    def show_facts(self, facts: Mapping[str, str]) -> None:
        self._facts = dict(facts)
        fill_rows(self.facts, list(self._facts.items()))

    def show_log_lines(self, lines: Sequence[str]) -> None:
        self._log_lines = list(lines)
        self._show_log()

    def collect(self, gather: FactsGatherer, read_log: LogReader | None = None) -> None:
        """Gather the facts (and read the log's end) on a worker thread; show them when done."""
        self._collecting.start(self._collect(gather, read_log))

    @property
    def collecting(self) -> bool:
        return self._collecting.running

    def done(self, result: int) -> None:
        self._collecting.cancel()  # nobody will look at what it finds
        super().done(result)

    async def _collect(self, gather: FactsGatherer, read_log: LogReader | None) -> None:
        lines = in_thread(read_log, LOG_LINES_SHOWN) if read_log else None
        facts = await in_thread(gather)
        self.show_facts(facts)
        if lines is not None:
            self.show_log_lines(await lines)
        self.facts_collected.emit()

    def _show_log(self) -> None:
        if not self._log_file:
            self.log_path.setText("<b>Log file:</b> none (logging goes to the terminal only)")
            self.log.setVisible(False)
            return
        self.log_path.setText(
            f"<b>Log file:</b> {html_escape(self._log_file)} (last {len(self._log_lines)} lines)"
        )
        self.log.setVisible(True)
        self.log.setPlainText("\n".join(self._log_lines))
        bar = self.log.verticalScrollBar()
        bar.setValue(bar.maximum())  # the newest lines
