"""Does spell checking stall typing on a large document? Spelling on against off, in one run.

    python -m penwright.benchmarks.spell_stall [--mb 5] [--chars 200] [--json PATH]
    penwright-cli spell-stall [--mb 5] ...

Opens a document of realistic prose (with a misspelt word in every paragraph, so there is
something to underline) in a real Editor, offscreen, with the word counter the window has, three
ways: spelling off (the baseline), spelling on (English, pyspellchecker), and spelling with
Markdown styling. For each it prints the time to open (setPlainText until the event loop is
idle again, the highlighter's work included) and, while CHARS characters are typed one key
event at a time (every 20 ms, as a fast typist), at the end and then at the start of the
document, the longest gap between the ticks of a 10 ms QTimer and the longest single key
(DESIGN.md's target for a responsive window: 50 ms). Run it alone: on a busy machine the
scheduler adds gaps of its own. No figure here is asserted by a test.
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

TICK_MS = 10
KEY_EVERY_MS = 20
TYPED = "and then, without a word, she walked out into the rain. "


@dataclass
class StallFigures:
    way: str
    open_s: float
    open_longest_gap_ms: float
    end_longest_gap_ms: float
    end_longest_key_ms: float
    start_longest_gap_ms: float
    start_longest_key_ms: float


def prose(megabytes: float) -> str:
    """About megabytes of paragraphs, each with one misspelt word (every checker flags it)."""
    from penwright.benchmarks.document import PARAGRAPHS

    marked = [p.replace(" the ", " teh ", 1) for p in PARAGRAPHS]
    chapter = "\n\n".join(marked) + "\n\n"
    target = int(megabytes * 1_000_000)
    return (chapter * (target // len(chapter) + 1))[:target]


class _Ticks:
    """The gaps between the ticks of a 10 ms QTimer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def start(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._tick()
        self._timer.stop()
        return self.longest * 1000


def _settle(app: object, seconds: float = 0.3) -> None:
    """Run the event loop until nothing is left to do for a while (the lazy slices included)."""
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    QCoreApplication.processEvents()


def _type(editor: object, chars: int) -> tuple[float, float]:
    """Type chars characters, one key every KEY_EVERY_MS; (longest tick gap, longest key) ms."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtTest import QTest

    text = (TYPED * (chars // len(TYPED) + 1))[:chars]
    ticks = _Ticks()
    loop = QEventLoop()
    longest_key = 0.0
    position = 0

    def press() -> None:
        nonlocal position, longest_key
        if position >= len(text):
            keys.stop()
            loop.quit()
            return
        started = time.perf_counter()
        QTest.keyClick(editor, text[position])  # type: ignore[call-overload]
        longest_key = max(longest_key, time.perf_counter() - started)
        position += 1

    keys = QTimer()
    keys.setInterval(KEY_EVERY_MS)
    keys.timeout.connect(press)
    ticks.start()
    keys.start()
    loop.exec()
    _settle(None, 0.1)
    return ticks.stop(), longest_key * 1000


def measure(megabytes: float, chars: int) -> tuple[list[StallFigures], dict[str, object]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QFont, QTextCursor
    from PySide6.QtWidgets import QApplication

    from penwright.app.documents.spelling import SpellChecker, UserWordList
    from penwright.app.editor.editor_widget import Editor
    from penwright.app.editor.word_count import WordCounter

    app = QApplication.instance() or QApplication(sys.argv[:1])
    text = prose(megabytes)
    figures: list[StallFigures] = []
    with tempfile.TemporaryDirectory(prefix="penwright-spell-bench-") as folder:
        started = time.perf_counter()
        checker = SpellChecker("en", UserWordList(Path(folder) / "words.txt"))
        dictionary_s = time.perf_counter() - started
        for way, markdown, spelling in (
            ("spelling off (baseline)", False, False),
            ("spelling on", False, True),
            ("spelling + Markdown", True, True),
        ):
            editor = Editor()
            editor.setFont(QFont("DejaVu Sans", 12))
            editor.resize(900, 700)
            editor.show()
            WordCounter(editor.document(), editor)
            editor.set_writing_aids(markdown=markdown, checker=checker if spelling else None)
            _settle(app, 0.1)
            ticks = _Ticks()
            ticks.start()
            started = time.perf_counter()
            editor.setPlainText(text)
            app.processEvents()
            open_s = time.perf_counter() - started
            _settle(app)
            open_gap = ticks.stop()
            editor.moveCursor(QTextCursor.MoveOperation.End)
            _settle(app)
            end_gap, end_key = _type(editor, chars)
            editor.moveCursor(QTextCursor.MoveOperation.Start)
            _settle(app)
            start_gap, start_key = _type(editor, chars)
            expected = len(text) + 2 * chars
            assert editor.document().characterCount() - 1 == expected, "the typing went missing"
            figures.append(
                StallFigures(
                    way,
                    round(open_s, 2),
                    round(open_gap, 1),
                    round(end_gap, 1),
                    round(end_key, 1),
                    round(start_gap, 1),
                    round(start_key, 1),
                )
            )
            editor.close()
            editor.deleteLater()
            _settle(app, 0.05)
    machine: dict[str, object] = {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "document_mb": megabytes,
        "paragraphs": text.count("\n\n") + 1,
        "typed_chars": chars,
        "english_word_list_load_s": round(dictionary_s, 2),
    }
    return figures, machine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=5.0, help="size of the document, MB")
    parser.add_argument("--chars", type=int, default=200, help="characters typed at each end")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures, machine = measure(args.mb, args.chars)
    print(f"typing into a {args.mb:g} MB document in a real Editor ({machine})")
    for row in figures:
        print(
            f"  {row.way:24} open {row.open_s:5.2f} s (longest stall {row.open_longest_gap_ms:7.1f}"
            f" ms)   typing at the end: longest stall {row.end_longest_gap_ms:6.1f} ms, longest "
            f"key {row.end_longest_key_ms:5.1f} ms   at the start: longest stall "
            f"{row.start_longest_gap_ms:6.1f} ms, longest key {row.start_longest_key_ms:5.1f} ms"
        )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "rows": [asdict(r) for r in figures]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
