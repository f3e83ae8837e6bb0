"""The real app in a subprocess (`penwright --no-model`, offscreen), driven by
tests/app/driver.py: text typed into the window survives SIGKILL at any point up to the last
journal write and is offered at the next start, whole and uncorrupted; after a clean quit
nothing is offered."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TYPED = "Chapter one. The rain had not stopped for days; café, 漢字, naïve — all of it. " * 4
TYPING_INTERVAL_MS = 10  # 100 characters a second: faster than any writer
LINE_TIMEOUT_S = 30  # generous: two shared CPU cores
ALL = len(TYPED)


@dataclass
class App:
    """A running app and what it said on stdout so far."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    typed: int = 0  # the last "typed N" read
    journalled: int = 0  # the last "journalled N" read
    offered: list[dict[str, str]] | None = None
    ready: dict[str, object] | None = None
    pump: threading.Thread | None = None

    def killed(self) -> None:
        """SIGKILL it, then read everything it said before it died."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=LINE_TIMEOUT_S)
        assert self.pump is not None
        self.pump.join(timeout=LINE_TIMEOUT_S)
        while not self.lines.empty():
            self.read_until("")  # any line: keeps the counts up to date

    def read_until(self, wanted: str) -> None:
        """Read lines until one starts with `wanted`, keeping track of what they report."""
        while True:
            try:
                line = self.lines.get(timeout=LINE_TIMEOUT_S)
            except queue.Empty:
                pytest.fail(f"the app did not say {wanted!r} (exit code {self.process.poll()})")
            word, _, rest = line.partition(" ")
            if word == "typed" and rest != "all":
                self.typed = int(rest)
            elif word == "journalled":
                self.journalled = int(rest)
            elif word == "offered":
                self.offered = json.loads(rest)
            elif word == "ready":
                self.ready = json.loads(rest)
            if line.startswith(wanted):
                return


def launch(
    data_dir: Path,
    config_dir: Path,
    text: str = "",
    then: str = "stay",
    interval_ms: int = TYPING_INTERVAL_MS,
    files: tuple[str, ...] = (),
    **driver: object,
) -> App:
    """Start the app through the driver; `driver` adds to its script (tabs, resize, current),
    `files` are the command line's."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PENWRIGHT_DATA_DIR": str(data_dir),
        "XDG_CONFIG_HOME": str(config_dir),  # QSettings: never the developer's own settings
        "PENWRIGHT_TEST_DRIVER": json.dumps(
            {"type": text, "interval_ms": interval_ms, "then": then, **driver}
        ),
    }
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("driver.py")), "--no-model", *files],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    app = App(process)
    _launched.append(app)
    assert process.stdout is not None
    stdout = process.stdout

    def pump() -> None:
        for line in stdout:
            app.lines.put(line.rstrip("\n"))

    app.pump = threading.Thread(target=pump, daemon=True)
    app.pump.start()
    return app


@pytest.fixture
def dirs(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    yield tmp_path / "data", tmp_path / "config"
    # A failed test must not leave an app running.
    for app in _launched:
        if app.process.poll() is None:
            app.process.kill()
            app.process.wait()
    _launched.clear()


_launched: list[App] = []


def started_with(app: App) -> dict[str, object]:
    """The current tab's text and modified flag, from the app's "ready" line."""
    assert app.ready is not None
    return {"text": app.ready["text"], "modified": app.ready["modified"]}


def quit_cleanly(app: App) -> None:
    """After start-up: close the window, answer Discard, and check the exit was clean."""
    app.read_until("typed all")
    assert app.process.wait(timeout=LINE_TIMEOUT_S) == 0


# Kill points: characters typed before SIGKILL; ALL means "after everything was journalled".
KILL_POINTS = (1, 45, 150, ALL - 3, ALL)


def test_sigkill_at_any_point_loses_at_most_the_unjournalled_tail(
    dirs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir, config_dir = dirs
    lost_per_kill = {}
    for kill_after in KILL_POINTS:
        writer = launch(data_dir, config_dir, TYPED)
        writer.read_until("ready")
        assert writer.offered is None  # nothing left over from the previous round
        if kill_after == ALL:
            writer.read_until("typed all")
            while writer.journalled < ALL:
                writer.read_until("journalled")
        else:
            writer.read_until(f"typed {kill_after}")
        writer.killed()
        typed, journalled = writer.typed, writer.journalled

        recovering = launch(data_dir, config_dir, then="quit-discard")
        recovering.read_until("ready")
        offered = recovering.offered or []
        recovered = offered[0]["text"] if offered else ""
        assert len(offered) <= 1
        # Never corrupted: exactly what was typed, up to some point; never less than the last
        # write the killed app completed.
        assert TYPED.startswith(recovered)
        assert len(recovered) >= journalled
        assert started_with(recovering) == {"text": recovered, "modified": bool(recovered)}
        lost_per_kill[kill_after] = typed - len(recovered)
        quit_cleanly(recovering)  # Discard: this round's text is dealt with

    assert lost_per_kill[ALL] == 0
    with capsys.disabled():
        print(f"\nkill points (typed -> characters lost): {lost_per_kill}")


def test_after_a_clean_quit_nothing_is_offered(dirs: tuple[Path, Path]) -> None:
    data_dir, config_dir = dirs
    # Typing for longer than the journal's 2 s, so there is an entry to clean up.
    writer = launch(data_dir, config_dir, TYPED[:60], then="quit-discard", interval_ms=50)
    writer.read_until("journalled")
    quit_cleanly(writer)
    again = launch(data_dir, config_dir, then="quit-discard")
    again.read_until("ready")
    assert again.offered is None
    assert started_with(again) == {"text": "", "modified": False}
    quit_cleanly(again)
