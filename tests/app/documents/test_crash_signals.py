"""The real app (`penwright --no-model`, offscreen, typed into by tests/app/driver.py) that gets
SIGTERM, SIGHUP or SIGQUIT writes its journal before it goes: everything typed up to the signal
is offered at the next start. SIGINT (Ctrl+C in the terminal) quits the same way, cleanly,
without a KeyboardInterrupt traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from penwright.app.documents.journal_store import JournalStore

ROOT = Path(__file__).resolve().parents[3]
DRIVER = ROOT / "tests" / "app" / "driver.py"
TEXT = "Signals must not cost a word: café, 漢字, naïve. " * 20
TIMEOUT_S = 60


@pytest.mark.parametrize(
    "number", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGINT], ids=str
)
def test_a_quit_signal_writes_everything_typed_then_quits(
    tmp_path: Path, number: signal.Signals
) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PENWRIGHT_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PENWRIGHT_TEST_DRIVER": json.dumps({"type": TEXT, "interval_ms": 10, "then": "stay"}),
    }
    child = subprocess.Popen(
        [sys.executable, str(DRIVER), "--no-model"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(TIMEOUT_S, child.kill)  # a hung app must not hang the suite
    watchdog.start()
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("typed 30"):  # mid-typing, between two journal writes or not
                child.send_signal(number)
                break
        rest, stderr = child.communicate()
    finally:
        watchdog.cancel()

    assert child.returncode == 128 + number, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    typed = [int(line.split()[1]) for line in rest.splitlines() if line.startswith("typed ")]
    last_typed = max([30, *typed])
    (item,) = JournalStore(tmp_path / "data").scan_recoverable().entries
    assert item.entry.text == TEXT[:last_typed]  # nothing typed before the signal is lost
