"""Journal-level crash test: a process typing into a journalled buffer is SIGKILLed at several
points; the next process is offered the text, complete up to the last journal write and never
corrupted. A clean exit leaves nothing offered. (The app-level test, which types into the real
window, belongs with the window's integration.)"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from penwright.app.documents.journal_store import JournalStore
from penwright.models.files.textfile import TextFormat

ROOT = Path(__file__).resolve().parents[3]
TYPIST = Path(__file__).with_name("journal_typist.py")
TYPING_INTERVAL_MS = 10  # 100 characters a second: faster than any writer
PRELOAD_CHARS = 200_000  # makes each journal write take long enough to be hit by a kill


def _load_typist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("journal_typist", TYPIST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


typist = _load_typist()


@dataclass
class ChildRun:
    offered_at_start: int
    typed: int  # characters typed before it died (as far as it could tell)
    journalled: int  # characters contained in the last journal flush it finished
    returncode: int
    lines: list[str]  # everything it printed

    def last_written(self, buffer_id: str) -> int:
        """N of the last write of buffer_id it finished ("written"), -1 if none."""
        values = [int(words[2]) for words in self._words("written") if words[1] == buffer_id]
        return values[-1] if values else -1

    def died_writing(self, buffer_id: str) -> int | None:
        """N of the write of buffer_id it was inside when it died ("writing" without
        "written"), or None when the kill landed between writes."""
        started = [int(words[2]) for words in self._words("writing") if words[1] == buffer_id]
        if started and started[-1] != self.last_written(buffer_id):
            return started[-1]
        return None

    def possibly_on_disk(self, buffer_id: str) -> set[int]:
        """The N the entry on disk can hold: the last finished write, or the one it died in
        (which may have got past its rename)."""
        in_flight = self.died_writing(buffer_id)
        return {self.last_written(buffer_id)} | ({in_flight} if in_flight is not None else set())

    def _words(self, word: str) -> list[list[str]]:
        return [line.split() for line in self.lines if line.startswith(word + " ")]


def run_typist(
    data_dir: Path,
    mode: str,
    kill_after: int = 0,
    stop_after: int = 0,
    preload_chars: int = PRELOAD_CHARS,
    kill_delay_s: float = 0.0,
) -> ChildRun:
    """Run the typist; SIGKILL it once it reports kill_after characters typed ("crash" mode)
    or kill_delay_s after it starts writing entry kill_after ("rewrite" mode)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    args = [str(data_dir), mode, str(TYPING_INTERVAL_MS), str(preload_chars), str(stop_after)]
    child = subprocess.Popen(
        [sys.executable, str(TYPIST), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, child.kill)  # a hung child must not hang the suite
    watchdog.start()
    lines: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            lines.append(line.strip())
            word, *_, number = line.split()
            if (mode, word) in {("crash", "typed"), ("rewrite", "writing")} and (
                int(number) >= kill_after
            ):
                # A plain process, not a Qt test: a short pause moves the kill into the write.
                time.sleep(kill_delay_s)
                child.send_signal(signal.SIGKILL)
                break
        lines += child.stdout.read().splitlines()  # what it printed before dying
        _, stderr = child.communicate()  # also reaps it: a zombie would still look alive
    finally:
        watchdog.cancel()
    assert child.returncode in (0, -signal.SIGKILL), stderr

    def last(prefix: str) -> int:
        values = [int(line.split()[1]) for line in lines if line.startswith(prefix + " ")]
        return values[-1] if values else -1

    return ChildRun(last("offered"), last("typed"), last("journalled"), child.returncode, lines)


KILL_POINTS = [1, 60, 150, 230]


def test_sigkill_at_any_point_leaves_the_text_offered(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    losses = []
    for kill_after in KILL_POINTS:
        data_dir = tmp_path / f"kill-{kill_after}"
        run = run_typist(data_dir, "crash", kill_after=kill_after)
        assert run.returncode == -signal.SIGKILL

        scan = JournalStore(data_dir).scan_recoverable()

        assert scan.problems == ()
        by_title = {item.entry.title: item.entry for item in scan.entries}
        assert set(by_title) == {"Untitled 1", "notes.txt"}
        untitled, file_buffer = by_title["Untitled 1"], by_title["notes.txt"]
        preload = typist.preload_text(PRELOAD_CHARS)
        assert untitled.path is None
        assert untitled.text.startswith(preload)
        recovered_typing = untitled.text[len(preload) :]
        assert recovered_typing == typist.TYPED[: len(recovered_typing)]  # never corrupted
        # every finished write kept: the last one, or the one the kill interrupted
        assert len(recovered_typing) in run.possibly_on_disk("untitled")
        assert file_buffer.path == data_dir / "notes.txt"
        assert file_buffer.text == typist.FILE_BUFFER_TEXT
        assert file_buffer.fmt == TextFormat("utf-8-sig", "\r\n")
        losses.append(run.typed - len(recovered_typing))
    with capsys.disabled():
        print(f"\nkill points {KILL_POINTS}: characters lost {losses} at 100 chars/s")


def test_clean_exit_offers_nothing_but_keeps_an_earlier_crash(tmp_path: Path) -> None:
    crashed = run_typist(tmp_path, "crash", kill_after=5)
    assert crashed.returncode == -signal.SIGKILL

    clean = run_typist(tmp_path, "clean", stop_after=20)

    assert clean.returncode == 0
    assert clean.offered_at_start == 2  # the next process is offered the crashed buffers
    assert clean.journalled == 20
    offered = JournalStore(tmp_path).scan_recoverable().entries
    # The clean session left nothing; the crashed one, never decided on, is still offered.
    assert len(offered) == 2
    assert all(len(item.entry.text) <= PRELOAD_CHARS + crashed.typed for item in offered)


def test_clean_exit_alone_offers_nothing(tmp_path: Path) -> None:
    run = run_typist(tmp_path, "clean", stop_after=3)
    assert run.returncode == 0 and run.offered_at_start == 0
    assert JournalStore(tmp_path).scan_recoverable().entries == ()


# (entry number, delay in seconds after it starts being written)
REWRITE_KILL_POINTS = [(1, 0.005), (2, 0.01), (3, 0.015), (5, 0.02), (7, 0.03), (9, 0.04)]
REWRITE_CHARS = 12_000_000  # tens of ms per write, so kills can land inside one


def test_sigkill_during_a_write_leaves_the_old_or_the_new_entry_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inside_a_write = 0  # kills that landed between "writing big N" and "written big N"
    before_the_rename = 0  # of those, kills that left a half-written temporary behind
    for kill_after, delay in REWRITE_KILL_POINTS:
        data_dir = tmp_path / f"rewrite-{kill_after}"
        run = run_typist(
            data_dir, "rewrite", kill_after, preload_chars=REWRITE_CHARS, kill_delay_s=delay
        )
        assert run.returncode == -signal.SIGKILL

        scan = JournalStore(data_dir).scan_recoverable()

        assert scan.problems == ()
        (item,) = scan.entries
        version_digit = item.entry.text[:1]
        assert item.entry.text == version_digit * REWRITE_CHARS  # whole, not a mix of two
        # the last write it finished, or the one it died in if that got past its rename
        versions = typist.REWRITE_VERSIONS
        assert int(version_digit) in {n % versions for n in run.possibly_on_disk("big")}
        left_a_temporary = bool(list(item.file.parent.glob(".*.tmp")))
        died_writing = run.died_writing("big") is not None
        assert died_writing or not left_a_temporary  # a temporary only comes from a cut write
        inside_a_write += died_writing
        before_the_rename += left_a_temporary
    kills = len(REWRITE_KILL_POINTS)
    with capsys.disabled():
        print(
            f"\nrewrite: {inside_a_write} of {kills} kills landed inside a write, "
            f"{before_the_rename} before its rename"
        )
    # The loop does little but write, so nearly every kill lands inside one; if most did not,
    # this test would be checking recovery after clean writes, not kills during them.
    assert inside_a_write >= kills // 2
