"""app.main: the real start-up, in a subprocess: what a bug report's log says about the run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from penwright import __version__
from penwright.models.files.folders import DATA_DIR_ENV, LOG_DIR_ENV

START_AND_QUIT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from penwright.app.main import main
app = QApplication(sys.argv[:1])
QTimer.singleShot(0, app.quit)
sys.exit(main(["--no-model"]))
"""


def test_the_log_says_which_version_started_and_how(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # never the developer's own settings
        DATA_DIR_ENV: str(tmp_path / "data"),
        LOG_DIR_ENV: str(tmp_path / "logs"),
    }
    subprocess.run([sys.executable, "-c", START_AND_QUIT], env=env, check=True, timeout=120)
    log = (tmp_path / "logs" / "penwright.log").read_text(encoding="utf-8")
    assert f"INFO penwright.app.main [MainThread] Penwright {__version__} starting" in log
    assert "no_model=True" in log
