"""Provenance survives a crash: the real app in a subprocess (tests/app/driver.py, offscreen,
no model) types a sentence, accepts a suggestion and is SIGKILLed once the journal has both;
the next start recovers the text and knows which span the suggestion wrote."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.py")
LINE_TIMEOUT_S = 60  # generous: two shared CPU cores
TYPED = "The keeper wrote:"
SUGGESTED = " the fog came in."
JOURNAL_MARGIN_S = 1.5  # well past the journal's 250 ms delays, for the sidecar's copy too


class App:
    def __init__(self, data_dir: Path, config_dir: Path, script: dict[str, object]) -> None:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "PENWRIGHT_DATA_DIR": str(data_dir),
            "XDG_CONFIG_HOME": str(config_dir),
            "PENWRIGHT_TEST_DRIVER": json.dumps(script),
        }
        self.process = subprocess.Popen(
            [sys.executable, str(DRIVER), "--no-model"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout
        assert stdout is not None

        def pump() -> None:
            for line in stdout:
                self.lines.put(line.rstrip("\n"))

        threading.Thread(target=pump, daemon=True).start()

    def read_until(self, wanted: str) -> str:
        while True:
            try:
                line = self.lines.get(timeout=LINE_TIMEOUT_S)
            except queue.Empty:
                pytest.fail(f"the app did not say {wanted!r} (exit code {self.process.poll()})")
            if line.startswith(wanted):
                return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=LINE_TIMEOUT_S)


def test_provenance_is_recovered_after_sigkill(tmp_path: Path) -> None:
    data_dir, config_dir = tmp_path / "data", tmp_path / "config"
    writer = App(data_dir, config_dir, {"type": TYPED, "interval_ms": 5, "accept": SUGGESTED})
    try:
        writer.read_until("ready")
        writer.read_until("accepted")
        writer.read_until("journalled")  # the accept's own edit is on disk
        time.sleep(JOURNAL_MARGIN_S)
        writer.process.send_signal(signal.SIGKILL)
        writer.process.wait(timeout=LINE_TIMEOUT_S)
    finally:
        writer.stop()

    reader = App(data_dir, config_dir, {"type": ""})
    try:
        offered = json.loads(reader.read_until("offered").partition(" ")[2])
        assert [item["text"] for item in offered] == [TYPED + SUGGESTED]
        ready = json.loads(reader.read_until("ready").partition(" ")[2])
    finally:
        reader.stop()
    assert ready["text"] == TYPED + SUGGESTED
    assert ready["provenance"] == [[len(TYPED), len(TYPED + SUGGESTED), "suggested"]]
