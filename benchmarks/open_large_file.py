"""How long the GUI thread stalls while the real window opens a large text file.

    python -m penwright.benchmarks.open_large_file [--mb 100] [--json PATH]

Builds the app's window (no model), writes a file of realistic prose of the given size, and
opens it twice: the way it was done before issue 12 (read, decode and setPlainText on the GUI
thread: one stall as long as the whole opening) and the way DocumentWindow does it now (read and
decoded on a worker, shown in slices; see app/documents/file_loading.py). A 5 ms QTimer on the
GUI thread records the gaps between its ticks; the figures are the longest gap, the number of
gaps over 50 ms (DESIGN.md's target for a responsive window) and the total time until the text
is all in the editor. Run it alone: on a busy 2-core machine the scheduler adds gaps of its own.

Measured on the 2-core development machine (shared with other jobs), 100 MB of prose: before,
15.0-22.7 s with the GUI thread frozen throughout; now 23-31 s in all, the reading on the worker
0.5-0.7 s with GUI stalls of at most 48-67 ms, the slices with stalls of at most 100 ms (one run
saw 604 ms), 9-43 stalls over 50 ms. Most of the GUI thread's time is the editor's word count of
each new paragraph (about 90% in a profile): a bare QPlainTextEdit takes 100 MB with
setPlainText in 2.6 s, or in 1 MB insertText slices of at most 33 ms each (2.4 s in all).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

TICK_MS = 5
LONG_GAP_S = 0.05


@dataclass
class OpeningFigures:
    way: str
    total_s: float
    longest_gap_ms: float
    gaps_over_50_ms: int
    gaps_over_50_ms_total_s: float
    reading_s: float | None = None  # until the text was read and decoded (worker)
    reading_longest_gap_ms: float | None = None  # the GUI thread's longest stall meanwhile
    slices_longest_gap_ms: float | None = None  # ... while the text went into the editor


class TickRecorder:
    """Records the gaps between the ticks of a QTimer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self.ends: list[float] = []  # when each gap ended (perf_counter)
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self.ends.append(now)
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self.ends.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._tick()  # the gap still open when the work ended counts too
        self._timer.stop()


def prose_file(folder: Path, megabytes: int) -> Path:
    from penwright.benchmarks.document import PARAGRAPHS

    chapter = "\n\n".join(PARAGRAPHS) + "\n\n"
    path = folder / f"prose-{megabytes}mb.txt"
    target = megabytes * 1_000_000
    path.write_text(chapter * (target // len(chapter) + 1), encoding="utf-8")
    return path


def measure(megabytes: int) -> tuple[list[OpeningFigures], dict[str, object]]:
    from PySide6.QtCore import QEventLoop, QSettings
    from PySide6.QtWidgets import QApplication

    from penwright.app.main import StartupHooks, build, parse_arguments
    from penwright.models.files.textfile import read_text_file

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="penwright-open-bench-") as folder_name:
        folder = Path(folder_name)
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        parts = build(
            settings, parse_arguments(["--no-model"]), StartupHooks(), data_dir=folder / "data"
        )
        window = parts.window
        window.confirm_large_file = lambda parent, name, size_text: True
        window.resize(900, 700)
        window.show()
        app.processEvents()
        path = prose_file(folder, megabytes)
        recorder = TickRecorder()
        figures = []

        # Before: everything on the GUI thread, in one go.
        recorder.start()
        started = time.perf_counter()
        text, fmt = read_text_file(path)
        window.show_document(text, path, fmt)
        app.processEvents()
        before_total = time.perf_counter() - started
        recorder.stop()
        figures.append(_figures("GUI thread (before)", before_total, recorder.gaps))
        del text
        window.show_document("", None, fmt)
        app.processEvents()

        # Now: a worker reads, the GUI thread shows slices between other events.
        loop = QEventLoop()
        window.open_finished.connect(lambda ok: loop.quit())
        read_at: list[float] = []
        window.document_loading.connect(lambda: read_at.append(time.perf_counter()))
        recorder.start()
        started = time.perf_counter()
        window.open_file(path, ask=False)
        loop.exec()
        now_total = time.perf_counter() - started
        recorder.stop()
        row = _figures("background + slices (now)", now_total, recorder.gaps)
        row.reading_s = round(read_at[0] - started, 2)
        gaps = list(zip(recorder.gaps, recorder.ends, strict=True))
        reading = [gap for gap, end in gaps if end <= read_at[0]]
        slicing = [gap for gap, end in gaps if end > read_at[0]]
        row.reading_longest_gap_ms = round(max(reading, default=0.0) * 1000, 1)
        row.slices_longest_gap_ms = round(max(slicing, default=0.0) * 1000, 1)
        figures.append(row)
        assert window.editor.document().characterCount() - 1 == path.stat().st_size
        window.editor.document().setModified(False)
        window.close()
        parts.journal.end_session()
    machine: dict[str, object] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "file_mb": megabytes,
    }
    return figures, machine


def _figures(way: str, total: float, gaps: list[float]) -> OpeningFigures:
    long = [gap for gap in gaps if gap > LONG_GAP_S]
    return OpeningFigures(
        way,
        round(total, 2),
        round(max(gaps, default=0.0) * 1000, 1),
        len(long),
        round(sum(long), 2),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the file to open, MB")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures, machine = measure(args.mb)
    print(f"opening a {args.mb} MB text file in the window ({machine})")
    for row in figures:
        print(
            f"  {row.way:28} total {row.total_s:6.2f} s   longest GUI stall "
            f"{row.longest_gap_ms:8.1f} ms   stalls over 50 ms: {row.gaps_over_50_ms} "
            f"({row.gaps_over_50_ms_total_s:.2f} s)"
        )
        if row.reading_s is not None:
            print(
                f"  {'':28} reading on the worker {row.reading_s:.2f} s (longest GUI stall "
                f"{row.reading_longest_gap_ms:.1f} ms), then the slices (longest GUI stall "
                f"{row.slices_longest_gap_ms:.1f} ms)"
            )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "rows": [asdict(r) for r in figures]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
