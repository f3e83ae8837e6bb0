"""Tools > Learn from my writing…: pick texts, see what was found, train a style, see the result.

The corpus is read and its tokens counted off the GUI thread (app.tasks); the training runs in
its own process (app.window.style_training), so the editor and its suggestions stay responsive.
The result is told in a writer's words ("predicts your next word 23% better") with the same
held-out passage continued before and after.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from penwright.app.tasks import LatestTask, in_thread
from penwright.app.window.style_training import TrainingRun
from penwright.models.spec import DEFAULT_MODEL
from penwright.models.training.corpus import (
    MIN_WORDS,
    Corpus,
    CorpusError,
    check_size,
    count_tokens,
    read_corpus,
)
from penwright.models.training.estimate import describe_duration, estimated_seconds
from penwright.models.training.job import TrainingJob
from penwright.models.training.styles import describe_figures, read_style

TEXT_FILTER = "Your writing (*.txt *.md *.markdown);;All files (*)"


class LearnStyleDialog(QDialog):
    """Emits ``style_saved(source)`` when a style is ready to be chosen."""

    style_saved = Signal(str)

    def __init__(
        self, parent: QWidget | None = None, base: str = DEFAULT_MODEL, min_words: int = MIN_WORDS
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learn from my writing")
        self.resize(640, 620)
        self._base = base
        self._min_words = min_words
        self._paths: list[str] = []
        self._corpus: Corpus | None = None
        self._tokenizer: Any = None
        self._scan = LatestTask()
        self.run: TrainingRun | None = None
        self.job_overrides: dict[str, Any] = {}  # tests train the tiny model faster

        intro = QLabel(
            "Penwright can learn the names, places and turns of phrase of your own texts, on "
            "this computer: nothing leaves it. Choose a few chapters (.txt or .md files, or a "
            "folder of them)."
        )
        intro.setWordWrap(True)
        add_files = QPushButton("Add files…")
        add_files.clicked.connect(self._on_add_files)
        add_folder = QPushButton("Add a folder…")
        add_folder.clicked.connect(self._on_add_folder)
        clear = QPushButton("Clear")
        clear.clicked.connect(self._on_clear)
        picking = QHBoxLayout()
        for button in (add_files, add_folder, clear):
            picking.addWidget(button)
        picking.addStretch()
        self.found = QLabel("No texts chosen yet.")
        self.found.setWordWrap(True)
        self.files = QListWidget()
        self.name = QLineEdit("My style")
        naming = QHBoxLayout()
        naming.addWidget(QLabel("Name of the style:"))
        naming.addWidget(self.name, 1)
        self.estimate = QLabel("")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress_text = QLabel("")
        self.progress_text.setWordWrap(True)
        self.results = QTextBrowser()
        self.results.setVisible(False)
        self.start_button = QPushButton("Start")
        self.start_button.setEnabled(False)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setVisible(False)  # after addButton, which shows it
        buttons.rejected.connect(self.close)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(picking)
        layout.addWidget(self.found)
        layout.addWidget(self.files, 1)
        layout.addLayout(naming)
        layout.addWidget(self.estimate)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.results, 2)
        layout.addWidget(buttons)

    # -- choosing the texts ---------------------------------------------------------------------

    def _on_add_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Choose your texts", "", TEXT_FILTER)
        self.add_paths(files)

    def _on_add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder of your texts")
        self.add_paths([folder] if folder else [])

    def _on_clear(self) -> None:
        self._paths = []
        self.add_paths([])

    def add_paths(self, paths: list[str]) -> None:
        self._paths.extend(p for p in paths if p and p not in self._paths)
        self.start_button.setEnabled(False)
        self.found.setText("Reading your texts…" if self._paths else "No texts chosen yet.")
        self.files.clear()
        self.estimate.clear()
        if self._paths:
            self._scan.start(self._show_corpus(list(self._paths)))

    async def _show_corpus(self, paths: list[str]) -> None:
        corpus = await in_thread(read_corpus, paths)
        if corpus.texts:
            if self._tokenizer is None:
                from penwright.models.training.base_model import base_tokenizer

                self._tokenizer = await in_thread(base_tokenizer, self._base)
            await in_thread(count_tokens, corpus, self._tokenizer)
        self._corpus = corpus
        self.files.clear()
        for path, text in corpus.texts:
            self.files.addItem(f"{Path(path).name} — {len(text.split()):,} words")
        for skipped in corpus.skipped:
            item = QListWidgetItem(f"{Path(skipped.path).name} — skipped: {skipped.reason}")
            item.setForeground(self.palette().placeholderText())
            item.setToolTip(skipped.path)
            self.files.addItem(item)
        try:
            check_size(corpus, self._min_words)
        except CorpusError as error:
            self.found.setText(f"<b>Cannot learn from this yet:</b> {html.escape(str(error))}")
            return
        left_out = f", {len(corpus.skipped)} skipped" if corpus.skipped else ""
        self.found.setText(
            f"Found {corpus.files} file{'s' if corpus.files != 1 else ''}{left_out}: "
            f"{corpus.words:,} words, {corpus.tokens:,} tokens."
        )
        job = self._job()
        seconds = estimated_seconds(corpus.tokens, job.epochs, job.base, job.max_minutes)
        self.estimate.setText(
            f"Training takes {describe_duration(seconds)} on this computer; you can keep "
            "writing meanwhile."
        )
        self.start_button.setEnabled(True)

    # -- training --------------------------------------------------------------------------------

    def _job(self) -> TrainingJob:
        job = TrainingJob(
            paths=list(self._paths),
            name=self.name.text().strip() or "My style",
            base=self._base,
            min_words=self._min_words,
        )
        for key, value in self.job_overrides.items():
            setattr(job, key, value)
        return job

    def start(self) -> None:
        self.run = TrainingRun(self._job(), self)
        self.run.progressed.connect(self._on_event)
        self.run.finished.connect(self._on_finished)
        self.start_button.setEnabled(False)
        self.name.setEnabled(False)
        self.cancel_button.setVisible(True)
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)  # busy until the first step says how many
        self.progress_text.setText("Starting…")
        self.results.setVisible(False)
        self.run.start()

    @property
    def training(self) -> bool:
        return self.run is not None and self.run.running

    def cancel(self) -> None:
        if self.run is not None:
            self.progress_text.setText("Stopping…")
            self.run.cancel()

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "step":
            self.progress.setRange(0, int(event["steps"]))
            self.progress.setValue(int(event["step"]))
            self.progress_text.setText(
                f"Step {event['step']} of {event['steps']} · loss {event['loss']:.3f} · "
                f"{event['tokens_per_second']:.0f} tokens/s · "
                f"{describe_duration(float(event['seconds_left']))} left"
            )
        elif kind == "done":
            self._show_result(str(event["style"]))
        elif kind in ("error", "cancelled", "loading", "evaluating", "resumed"):
            message = event.get("message") or f"Resuming from step {event.get('step')}"
            self.progress_text.setText(str(message))

    def _on_finished(self, code: int) -> None:
        self.cancel_button.setVisible(False)
        self.start_button.setEnabled(code != 0)
        self.name.setEnabled(True)
        if code != 0:
            self.progress.setVisible(False)

    def _show_result(self, key: str) -> None:
        style = read_style(key)
        self.progress.setValue(self.progress.maximum())
        self.progress_text.setText(
            f"<b>{html.escape(style.name)}</b> is ready: choose it in Preferences &gt; Model."
        )
        samples = style.meta.get("samples", {})
        self.results.setHtml(
            f"<p>{html.escape(describe_figures(style.meta).capitalize())}.</p>"
            f"<p><b>A passage it did not learn from:</b><br>…{html.escape(samples['prompt'])}</p>"
            f"<p><b>Before:</b> {html.escape(samples['before'])}</p>"
            f"<p><b>With your style:</b> {html.escape(samples['after'])}</p>"
        )
        self.results.setVisible(True)
        self.style_saved.emit(style.source)
