"""Renders the README's screenshots from the real app: the light and the dark page, each with a
suggestion showing.

    python packaging/screenshots.py            # the real default model, at creativity 0
    python packaging/screenshots.py --no-model # a fixed continuation, streamed into the editor

It runs offscreen (QT_QPA_PLATFORM=offscreen unless set) and starts Penwright through its
composition root (`penwright.app.main.main`) on throw-away settings and data folders, so the
writer's own are never read or touched. That start is a first start: the window shows the
welcome guide, the cursor at the end of its story. Penwright continues the story with the
bundled model (temperature 0, one sentence, one alternative: the same text every run on the same
model), the window is grabbed (QWidget.grab) in the light theme, then in the dark one, and the
PNGs go to resources/screenshots/ (page-light.png, page-dark.png).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT_DIR = HERE.parent / "resources" / "screenshots"
SIZE = (1100, 700)
MODEL_TIMEOUT_MS = 300_000  # the first run converts the bundled GGUF once: allow for it
FIXED_CONTINUATION = " She lifted the lamp and waved it twice, the old signal for a visitor."


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--no-model", action="store_true", help="show a fixed continuation instead of the model's"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT_DIR, help="folder for the PNGs")
    return parser.parse_args(argv)


def isolate() -> None:
    """Settings, data, logs and caches in a fresh folder; the model cache stays the user's."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="penwright-screenshots-"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        os.environ[name] = str(scratch / name.lower())
    os.environ["PENWRIGHT_DATA_DIR"] = str(scratch / "data")
    os.environ["PENWRIGHT_LOG_DIR"] = str(scratch / "logs")


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    isolate()
    # Qt and the app are imported after the environment is set: QSettings reads it once.
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from penwright.app.main import Penwright, StartupHooks
    from penwright.app.main import main as penwright_main
    from penwright.app.settings.store import Theme
    from penwright.app.window.main_window import MainWindow
    from penwright.models.results import GenerationStats
    from penwright.models.spec import ModelInfo

    output: Path = args.output
    output.mkdir(parents=True, exist_ok=True)

    class Shoot(StartupHooks):
        window: MainWindow
        parts: Penwright

        def built(self, parts: Penwright) -> None:
            self.parts, self.window = parts, parts.window
            store = parts.store
            current = store.current
            generation = replace(current.generation, temperature=0.0, n=1)
            editor = replace(current.editor, theme=Theme.LIGHT)
            # Typewriter scrolling keeps the caret's line mid-page, so the suggestion after it
            # shows whole, with the text it continues above it.
            page = replace(current.page, typewriter=True)
            store.save(replace(current, generation=generation, editor=editor, page=page))
            self.window.controller.model_loaded.connect(self.model_ready)
            self.window.controller.suggestion_finished.connect(self.suggested)
            self.window.controller.model_failed.connect(self.model_failed)

        def started(self) -> None:
            self.window.resize(*SIZE)
            self.window.editor.setFocus()
            if args.no_model:
                self.show_fixed()
            else:
                QTimer.singleShot(MODEL_TIMEOUT_MS, self.too_slow)

        def model_ready(self, _info: ModelInfo) -> None:
            self.window.toolbar.length_box.setCurrentIndex(
                self.window.toolbar.length_box.findText("a sentence")
            )
            self.window.suggestions.request()

        def model_failed(self, message: str) -> None:
            print(f"the model did not load ({message}); showing the fixed continuation")
            self.show_fixed()

        def too_slow(self) -> None:
            if not self.window.editor.ghost_text:
                print("the model took too long; showing the fixed continuation")
                self.show_fixed()

        def show_fixed(self) -> None:
            editor = self.window.editor
            editor.start_suggestion(10_000)
            editor.append_suggestion(10_000, 0, FIXED_CONTINUATION)
            editor.finish_suggestion(10_000)
            QTimer.singleShot(300, self.shoot)

        def suggested(self, _request: int, _stats: GenerationStats) -> None:
            if self.window.editor.ghost_text:
                QTimer.singleShot(300, self.shoot)

        def grab(self, name: str) -> None:
            QApplication.processEvents()
            path = output / name
            if not self.window.grab().save(str(path), "PNG"):
                raise SystemExit(f"could not write {path}")
            print(f"wrote {path}")

        def shoot(self) -> None:
            print(f"suggestion: {self.window.editor.ghost_text!r}")
            self.grab("page-light.png")
            store = self.parts.store
            store.save(
                replace(store.current, editor=replace(store.current.editor, theme=Theme.DARK))
            )
            QTimer.singleShot(300, self.shoot_dark)

        def shoot_dark(self) -> None:
            self.grab("page-dark.png")
            self.window.editor.dismiss_suggestion()
            self.window.close()

    return penwright_main(["--no-model"] if args.no_model else [], Shoot())


if __name__ == "__main__":
    sys.exit(main())
