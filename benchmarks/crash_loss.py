"""How much typing a SIGKILL costs, and what one autosave costs the GUI thread.

    penwright-cli crash-loss [--kills 40] [--large-mb 20] [--autosave-sizes 5,20,100] [--seed 1]

Crash loss: the real app (`penwright --no-model`, QT_QPA_PLATFORM=offscreen) is started with a
document, untitled or named (a file on disk), small or large (--large-mb), and types into its
editor at a random 10-100 characters a second, the way keys arrive (key events to the editor).
Once the document's text before the typing is in the journal (as in a long session), the
typing starts, and at a random moment the app is SIGKILLed; then the app is started again on
the same data folder and reports what its recovery dialog offers. The recovered text must be
the document exactly as it was up to some point of the typing (an exact prefix); what is
missing after that point is the loss, in characters and in seconds of typing. A relaunch
that does not come up is a relaunch failure.

Autosave cost: in this process, a document of each size in --autosave-sizes (MB) is opened from
a file in a QPlainTextEdit and journalled as the app does; after each keystroke the journal's
write (what its timer runs on the GUI thread) is timed.

The figures are printed next to the targets of issue 12. The child process is this module
with --child; its script comes in the environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from penwright.app.documents.journal import Journal

CHILD_ENV = "PENWRIGHT_CRASH_LOSS_CHILD"
TYPED = (
    "Chapter one. The rain had not stopped for days; café, 漢字, naïve — all of it. "
    "She wrote on, line after line, until the lamp went out.\n"
) * 200
SMALL_CHARS = 1_000
STARTUP_TIMEOUT_S = 180.0  # a 20 MB document on two busy cores
TARGET_LOSS_S = 0.5
TARGET_AUTOSAVE_MS = 5.0


def preload_text(chars: int) -> str:
    """The document's text before the measured typing (a file's content, or pasted text)."""
    return ("An earlier draft paragraph, kept for the record.\n" * (chars // 49 + 1))[:chars]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- the child: the real app, typing or reporting what it is offered ---------------------------


def child_main() -> int:
    from PySide6.QtCore import QEvent, Qt, QTimer
    from PySide6.QtGui import QKeyEvent, QTextCursor
    from PySide6.QtWidgets import QApplication

    from penwright.app.documents.recovery_dialog import RecoveryDialog
    from penwright.app.main import Penwright, StartupHooks, main
    from penwright.models.files.textfile import TextFormat, read_text_file

    script = json.loads(os.environ[CHILD_ENV])

    def say(line: str) -> None:
        print(line, flush=True)

    class Typist(StartupHooks):
        def __init__(self) -> None:
            self.parts: Penwright | None = None
            self.typed = 0
            self.timer = QTimer()
            self.timer.setInterval(max(1, round(1000 / script["rate"])))
            self.timer.timeout.connect(self.type_next)

        def built(self, parts: Penwright) -> None:
            self.parts = parts
            parts.journal.flushed.connect(lambda ok: say(f"journalled {self.typed} {ok}"))

        def run_recovery_dialog(self, dialog: RecoveryDialog) -> object:
            for item in dialog.ticked():
                entry = item.entry
                facts = {"title": entry.title, "chars": len(entry.text), "sha": _digest(entry.text)}
                say(f"offered {json.dumps(facts)}")
            dialog.later_button.click()  # keep it: this process only reports
            return dialog.result()

        def started(self) -> None:
            assert self.parts is not None
            window = self.parts.window
            if script["mode"] == "recover":
                say("recovered-all")
                QTimer.singleShot(0, window.close)
                return
            if script["file"]:
                text, fmt = read_text_file(script["file"])
                window.show_document(text, Path(script["file"]).resolve(), fmt)
            elif script["preload"]:
                # Pasted text in an untitled document: unsaved from the start.
                window.show_document(
                    preload_text(script["preload"]), None, TextFormat(), modified=True
                )
            window.editor.moveCursor(QTextCursor.MoveOperation.End)
            window.editor.setFocus()
            # What the document held before the typing is on disk, as in a long session: the
            # benchmark measures what typing loses (pasting 20 MB and dying within the second
            # it takes to write it is another figure).
            self.parts.journal.flush()
            self.parts.journal.drain()
            say("ready")
            self.timer.start()

        def type_next(self) -> None:
            assert self.parts is not None
            character = TYPED[self.typed % len(TYPED)]
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                key = Qt.Key.Key_Return if character == "\n" else Qt.Key.Key_unknown
                event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, character)
                QApplication.sendEvent(self.parts.window.editor, event)
            self.typed += 1
            say(f"typed {self.typed}")

    return main(["--no-model"], Typist())


# -- the parent: kills and relaunches ------------------------------------------------------------


@dataclass
class KillResult:
    scenario: str
    rate: float
    typed: int
    recovered: int  # typed characters in the recovered text (-1: not an exact prefix)
    seconds_lost: float
    relaunch_failed: bool
    note: str = ""

    @property
    def exact(self) -> bool:
        return self.recovered >= 0

    @property
    def lost(self) -> int:
        return self.typed - self.recovered if self.exact else self.typed


class Child:
    def __init__(self, script: Mapping[str, object], data_dir: Path, config_dir: Path) -> None:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "PENWRIGHT_DATA_DIR": str(data_dir),
            "XDG_CONFIG_HOME": str(config_dir),
            CHILD_ENV: json.dumps(script),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "penwright.benchmarks.crash_loss", "--child"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.stderr = ""
        self._pump = threading.Thread(target=self._read, daemon=True)
        self._pump.start()
        self._err = threading.Thread(target=self._read_err, daemon=True)
        self._err.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put((time.monotonic(), line.strip()))
        self.lines.put((time.monotonic(), "<eof>"))

    def _read_err(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def wait_for(self, word: str, timeout: float) -> list[tuple[float, str]]:
        """Lines up to and including the first that starts with word ([] on timeout/eof)."""
        seen: list[tuple[float, str]] = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return []
            seen.append(item)
            if item[1].startswith(word):
                return seen
            if item[1] == "<eof>" or time.monotonic() > deadline:
                return []

    def drain(self) -> list[tuple[float, str]]:
        self._pump.join(timeout=30)
        items = []
        while not self.lines.empty():
            items.append(self.lines.get())
        return items

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._err.join(timeout=30)


def one_kill(index: int, rng: random.Random, root: Path, large_chars: int) -> KillResult:
    named = index % 2 == 1
    large = (index // 2) % 2 == 1
    size = large_chars if large else SMALL_CHARS
    scenario = f"{'named' if named else 'untitled'} {'large' if large else 'small'}"
    rate = rng.uniform(10, 100)
    kill_after_s = rng.uniform(0.3, 3.0)
    work = root / f"kill-{index}"
    data_dir, config_dir = work / "data", work / "config"
    work.mkdir(parents=True)
    base = preload_text(size)
    file = None
    if named:
        file = work / "chapter.txt"
        file.write_text(base, encoding="utf-8")
    script = {"mode": "type", "file": str(file) if file else None, "preload": size, "rate": rate}
    child = Child(script, data_dir, config_dir)
    typed_at: list[float] = []
    try:
        if not child.wait_for("ready", STARTUP_TIMEOUT_S):
            child.kill()
            return KillResult(
                scenario, rate, 0, -1, 0.0, True, "first start failed: " + child.stderr[-300:]
            )
        deadline = time.monotonic() + kill_after_s
        while time.monotonic() < deadline:
            try:
                at, line = child.lines.get(timeout=max(0.001, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line.startswith("typed "):
                typed_at.append(at)
        killed_at = time.monotonic()
        child.process.send_signal(signal.SIGKILL)
        child.kill()
        for at, line in child.drain():
            if line.startswith("typed "):
                typed_at.append(min(at, killed_at))
    finally:
        child.kill()
    typed = len(typed_at)

    relaunch = Child({"mode": "recover", "rate": 1}, data_dir, config_dir)
    lines = relaunch.wait_for("recovered-all", STARTUP_TIMEOUT_S)
    relaunch.process.wait(timeout=STARTUP_TIMEOUT_S)
    relaunch.kill()
    offered = [
        json.loads(line.split(" ", 1)[1]) for _, line in lines if line.startswith("offered ")
    ]
    if not lines or relaunch.process.returncode != 0:
        return KillResult(
            scenario, rate, typed, -1, 0.0, True, "relaunch: " + relaunch.stderr[-300:]
        )
    if len(offered) > 1:
        return KillResult(scenario, rate, typed, -1, 0.0, False, f"{len(offered)} entries offered")
    if offered:
        recovered_chars = offered[0]["chars"] - len(base)
        exact = 0 <= recovered_chars <= max(typed, recovered_chars) and offered[0][
            "sha"
        ] == _digest(base + _typed_text(recovered_chars))
        recovered = recovered_chars if exact else -1
    else:
        # Nothing offered: right only for a named document (the file is the text before typing).
        recovered = 0 if named else -1
    typed = max(typed, recovered)
    if recovered < 0:
        lost_s = 0.0
    elif recovered < typed:
        lost_s = killed_at - typed_at[recovered] if recovered < len(typed_at) else 0.0
    else:
        lost_s = 0.0
    return KillResult(scenario, rate, typed, recovered, max(0.0, lost_s), False)


def _typed_text(chars: int) -> str:
    whole, part = divmod(chars, len(TYPED))
    return TYPED * whole + TYPED[:part]


# -- autosave cost on the GUI thread -----------------------------------------------------------


@dataclass
class AutosaveFigures:
    megabytes: int
    first_ms: float  # the write that creates the entry
    median_ms: float
    max_ms: float
    record_ms: float  # recording one keystroke's edit (contentsChange), median
    background_s: float  # copying the file into the journal, off the GUI thread
    copy_gap_ms: float  # the GUI thread's longest gap (10 ms timer) during that copy
    compact_s: float  # one compaction (snapshot from snapshot + log), off the GUI thread
    compact_gap_ms: float  # the GUI thread's longest gap during it


def _largest_gap_until_idle(journal: Journal) -> tuple[float, float]:
    """Run the event loop with a 10 ms timer until the journal's background work is done:
    the longest gap between two ticks, and how long the work took (seconds). A worker thread
    holding the GIL in one long C call (decoding 100 MB) shows here as a gap."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    started = time.perf_counter()
    last, gaps = [started], [0.0]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now
        if not journal.busy:
            loop.quit()

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    loop.exec()
    timer.stop()
    return max(gaps), time.perf_counter() - started


def measure_autosave(megabytes: int, root: Path, keystrokes: int = 30) -> AutosaveFigures:
    from PySide6.QtGui import QTextCursor
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    from penwright.app.documents import log_buffer
    from penwright.app.documents.journal import BufferState, Journal
    from penwright.app.documents.journal_store import JournalStore
    from penwright.app.documents.log_buffer import BufferMeta
    from penwright.models.files.textfile import read_text_file

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window is shown
    _app = QApplication.instance() or QApplication([])
    work = Path(tempfile.mkdtemp(prefix=f"autosave-{megabytes}-", dir=root))
    file = work / "big.txt"
    file.write_text(preload_text(megabytes * 1_000_000), encoding="utf-8")
    text, fmt = read_text_file(file)
    editor = QPlainTextEdit()
    editor.setPlainText(text)
    del text
    document = editor.document()
    document.setModified(False)
    journal = Journal(JournalStore(work / "data"))
    journal.start()

    def state() -> BufferState:
        return BufferState(file, file.name, editor.toPlainText(), fmt, document.isModified())

    def describe() -> BufferMeta:
        return BufferMeta(file, file.name, fmt, document.isModified())

    journal.track("big", state)
    journal.watch_document(document, lambda: "big", describe)  # starts copying the file
    copy_gap, background = _largest_gap_until_idle(journal)
    document.contentsChanged.connect(lambda: journal.buffer_changed("big"))
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    writes: list[float] = []
    records: list[float] = []
    for _ in range(keystrokes):
        started = time.perf_counter()
        cursor.insertText("x")  # Qt's own edit and layout, plus the journal recording it
        records.append(time.perf_counter() - started)
        started = time.perf_counter()
        journal.flush()
        writes.append(time.perf_counter() - started)
    journal.drain()
    threshold = log_buffer.COMPACT_AFTER_RECORDS
    log_buffer.COMPACT_AFTER_RECORDS = 1  # the next write compacts
    try:
        cursor.insertText("y")
        journal.flush()
        compact_gap, compact = _largest_gap_until_idle(journal)
    finally:
        log_buffer.COMPACT_AFTER_RECORDS = threshold
    journal.drain()
    journal.end_session()
    editor.deleteLater()
    rest = writes[1:]
    return AutosaveFigures(
        megabytes,
        writes[0] * 1000,
        statistics.median(rest) * 1000,
        max(rest) * 1000,
        statistics.median(records) * 1000,
        background,
        copy_gap * 1000,
        compact,
        compact_gap * 1000,
    )


# -- the report ----------------------------------------------------------------------------------


def report(results: list[KillResult], autosaves: list[AutosaveFigures], large_mb: float) -> None:
    exact = [r for r in results if r.exact and not r.relaunch_failed]
    chars = [r.lost for r in exact] or [0]
    seconds = [r.seconds_lost for r in exact] or [0.0]
    failures = sum(r.relaunch_failed for r in results)
    kills = len(results)
    print(
        f"crash loss: {kills} SIGKILLs while typing 10-100 characters/s into untitled and named "
        f"documents of {SMALL_CHARS:,} characters and {large_mb:g} MB"
    )
    for r in results:
        flag = "" if r.exact else "  NOT AN EXACT PREFIX"
        print(
            f"  {r.scenario:15} {r.rate:5.1f} chars/s  typed {r.typed:4}  lost {r.lost:4} "
            f"({r.seconds_lost:.2f} s){flag}{'  RELAUNCH FAILED' if r.relaunch_failed else ''}"
            f"{'  ' + r.note if r.note else ''}"
        )
    print(
        f"characters lost: max {max(chars)}, median {statistics.median(chars):g}"
        "   (target: at most 0.5 s of typing)"
    )
    print(
        f"seconds lost: max {max(seconds):.2f} s, median {statistics.median(seconds):.2f} s"
        f"   (target <= {TARGET_LOSS_S} s)"
    )
    rate = 100 * len(exact) / kills if kills else 0.0
    print(f"exact prefix: {len(exact)}/{kills} = {rate:.0f}%   (target 100%)")
    print(f"relaunch failures: {failures}   (target 0)")
    for a in autosaves:
        print(
            f"autosave GUI-thread cost at {a.megabytes} MB: median {a.median_ms:.2f} ms, "
            f"max {a.max_ms:.2f} ms per keystroke's write; first write {a.first_ms:.2f} ms; "
            f"recording an edit {a.record_ms:.2f} ms   (target <= {TARGET_AUTOSAVE_MS:g} ms "
            "at 100 MB)"
        )
        print(
            f"  in the background at {a.megabytes} MB: copying the file {a.background_s:.2f} s "
            f"(longest GUI gap {a.copy_gap_ms:.0f} ms), one compaction {a.compact_s:.2f} s "
            f"(longest GUI gap {a.compact_gap_ms:.0f} ms)   (DESIGN: stall <= 50 ms)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="penwright-cli crash-loss", description=__doc__)
    parser.add_argument("--kills", type=int, default=40, help="SIGKILLs to send (default 40)")
    parser.add_argument("--large-mb", type=float, default=20, help="the large documents' size")
    parser.add_argument(
        "--autosave-sizes", default="5,20,100", help="MB sizes to time an autosave at ('' none)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="penwright-crash-loss-") as folder:
        root = Path(folder)
        results = []
        for index in range(args.kills):
            result = one_kill(index, rng, root, int(args.large_mb * 1_000_000))
            results.append(result)
            print(
                f"kill {index + 1}/{args.kills}: {result.scenario}, lost {result.lost}", flush=True
            )
        sizes = [int(size) for size in args.autosave_sizes.split(",") if size.strip()]
        autosaves = [measure_autosave(size, root) for size in sizes]
        report(results, autosaves, args.large_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
