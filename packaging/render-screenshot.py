"""Renders resources/screenshots/main-window.png, the AppStream screenshot, from the real window.

    QT_QPA_PLATFORM=offscreen python packaging/render-screenshot.py

The app starts through its composition root (`penwright.app.main.main`) without a model, opens
the welcome sample and shows a ghost-text continuation as the engine would stream it. Settings
and the journal go to a throw-away folder, so the writer's own are never read or touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent / "resources" / "screenshots" / "main-window.png"
SIZE = (1000, 620)
ANCHOR = "tried to\nremember how a conversation began."
GHOST = " She practised a greeting under her breath, and the words felt like stones in her mouth."


def main() -> int:
    scratch = tempfile.mkdtemp(prefix="penwright-screenshot-")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        os.environ[name] = str(Path(scratch, name.lower()))
    from importlib import resources

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from penwright.app.main import Penwright, StartupHooks
    from penwright.app.main import main as penwright_main

    sample = resources.files("penwright.resources").joinpath("samples", "welcome.md")

    class Shoot(StartupHooks):
        def built(self, parts: Penwright) -> None:
            self.window = parts.window

        def started(self) -> None:
            window, editor = self.window, self.window.editor
            window.resize(*SIZE)
            text = editor.toPlainText()
            cursor = editor.textCursor()
            cursor.setPosition(text.index(ANCHOR) + len(ANCHOR))
            editor.setTextCursor(cursor)
            editor.setFocus()
            editor.start_suggestion(1)
            editor.append_suggestion(1, 0, GHOST)
            QTimer.singleShot(200, self.shoot)

        def shoot(self) -> None:
            QApplication.processEvents()
            OUTPUT.parent.mkdir(parents=True, exist_ok=True)
            assert self.window.grab().save(str(OUTPUT), "PNG")
            print(f"wrote {OUTPUT}")
            self.window.editor.dismiss_suggestion(notify=False)
            self.window.close()

    return penwright_main(["--no-model", str(sample)], Shoot())


if __name__ == "__main__":
    sys.exit(main())
