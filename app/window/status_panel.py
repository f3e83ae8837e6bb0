"""The status bar's panel: model and device, load progress / state, the word count, the words
of this session and today's progress towards the daily goal. It only displays what the window
tells it.

The engine's figures (first token, tokens/s, device) are the model label's tooltip, and
Help > Diagnostics lists them for recent suggestions: the bar itself speaks in words. The state
("Ready", "Generating…") is not part of the permanent panel but the status bar's own message
area (MainWindow adds it there), so a message replaces it while it shows instead of running
into it.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from penwright.app.window.word_tally import goal_progress
from penwright.models.results import GenerationStats
from penwright.models.spec import LoadProgress, ModelInfo


def describe_stats(stats: GenerationStats) -> str:
    if stats.new_tokens == 0:
        return ""
    return (
        f"first token {stats.time_to_first_token_s * 1000:.0f} ms · "
        f"{stats.decode_tokens_per_s:.1f} tokens/s"
    )


class StatusPanel(QWidget):
    """Labels for the status bar. Texts are public attributes' text() so tests can read them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_label = QLabel("No model")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(120)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.state_label = QLabel("")
        # Which alternative shows ("2 / 3"), or how to get another: beside the state, because
        # both are about the suggestion; empty while there is none.
        self.alternatives_label = QLabel("")
        self.speed_label = QLabel("")  # the last suggestion's figures; shown as a tooltip only
        self.speed_label.hide()
        self._model_tip = ""
        self.words_label = QLabel("0 words")
        self.session_label = QLabel("")  # "+120 this session"
        self.session_label.setToolTip("Words added since Penwright started (deletions count back)")
        self.goal_bar = QProgressBar()  # today's words against the daily goal
        self.goal_bar.setMaximumWidth(220)
        self.goal_bar.setRange(0, 1000)
        self.goal_bar.hide()
        self.server_label = QLabel("")  # "Serving on 127.0.0.1:8765 · 3 requests", or nothing
        self.server_label.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(14)
        for widget in (
            self.alternatives_label,
            self.progress_bar,
            self.model_label,
            self.server_label,
            self.words_label,
            self.session_label,
            self.goal_bar,
        ):
            layout.addWidget(widget)

    def show_loading(self, progress: LoadProgress) -> None:
        self.progress_bar.show()
        self.progress_bar.setValue(round(progress.percent))
        self.state_label.setText(f"Loading model: {progress.stage} ({progress.percent:.0f}%)")

    def show_loaded(self, info: ModelInfo) -> None:
        self.progress_bar.hide()
        device = info.device if info.fallback_reason is None else f"{info.device} (fallback)"
        self.model_label.setText(f"{info.name} · {device} · {info.precision}")
        self._model_tip = "\n".join(
            line for line in (info.path, f"Device: {info.device}", info.fallback_reason) if line
        )
        self._show_model_tip()
        self.state_label.setText("Ready")

    def show_load_failed(self, message: str) -> None:
        self.progress_bar.hide()
        self.model_label.setText("No model")
        self.state_label.setText("Model failed to load")
        self.state_label.setToolTip(message)

    def show_state(self, text: str) -> None:
        self.state_label.setText(text)

    def show_alternatives(self, shown: int, count: int, another_key: str) -> None:
        """shown: which of count candidates shows (from 1; 0 for none)."""
        if shown and count > 1:
            self.alternatives_label.setText(f"{shown} / {count}")
        elif shown and another_key:
            self.alternatives_label.setText(f"{another_key} for another")
        else:
            self.alternatives_label.setText("")

    def show_stats(self, stats: GenerationStats) -> None:
        self.speed_label.setText(describe_stats(stats))
        self._show_model_tip()

    def _show_model_tip(self) -> None:
        speed = self.speed_label.text()
        last = f"Last suggestion: {speed}" if speed else ""
        self.model_label.setToolTip("\n".join(line for line in (self._model_tip, last) if line))

    def show_word_count(self, words: int) -> None:
        self.words_label.setText(f"{words} word" if words == 1 else f"{words} words")

    def show_writing(self, session: int, today: int, goal: int) -> None:
        """The session's net words, and today's words against goal (0: no goal, no bar)."""
        self.session_label.setText(f"{session:+,} this session" if session else "")
        self.session_label.setVisible(bool(session))  # no empty gap before anything is written
        if goal <= 0:
            self.goal_bar.hide()
            return
        self.goal_bar.setValue(round(goal_progress(today, goal) * self.goal_bar.maximum()))
        shown = f"{today:,} / {goal:,} today"
        self.goal_bar.setFormat(shown)
        self.goal_bar.setMinimumWidth(self.fontMetrics().horizontalAdvance(shown) + 24)
        self.goal_bar.setToolTip(
            "Daily goal reached" if today >= goal else f"{goal - today:,} words to today's goal"
        )
        self.goal_bar.show()

    def show_server(self, text: str) -> None:
        """What "Serve to other programs" is doing ("" while it is off)."""
        self.server_label.setText(text)
        self.server_label.setVisible(bool(text))
