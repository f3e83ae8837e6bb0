"""The training child process: ``python -m penwright.models.training.worker JOB.json``.

Training runs apart from the app so the editor and its suggestions stay responsive, and so it
can go on when the app quits. Each event is one JSON line, printed to stdout (for the command
line) and appended to the progress file (for an app that started it, or one started later that
finds it running). SIGTERM cancels: the checkpoint is kept, no style is written. Exit codes:
0 done, 1 failed, 2 bad input, 3 cancelled.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

EXIT_DONE, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 3


class _Events:
    def __init__(self, progress_file: Path | None) -> None:
        self._file = progress_file.open("a", encoding="utf-8") if progress_file else None
        self._stdout = True

    def __call__(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, ensure_ascii=False)
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()
        if self._stdout:
            try:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._stdout = False  # the parent went away: keep training, into the file only


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job_path = Path(argv[0])
    raw = json.loads(job_path.read_text(encoding="utf-8"))
    progress = raw.pop("progress_file", None)
    emit = _Events(Path(progress) if progress else None)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the terminal or app closing is no stop
    from penwright.models.errors import ModelLoadError
    from penwright.models.training.corpus import CorpusError
    from penwright.models.training.job import TrainingJob
    from penwright.models.training.styles import StyleError
    from penwright.models.training.train import Cancelled, run_training

    emit({"event": "started", "pid": os.getpid()})
    try:
        run_training(TrainingJob(**raw), emit, stop.is_set)
    except Cancelled:
        emit({"event": "cancelled", "message": "training stopped; no style was saved"})
        return EXIT_CANCELLED
    except (CorpusError, ModelLoadError, StyleError, ValueError) as error:
        emit({"event": "error", "message": str(error)})
        return EXIT_BAD_INPUT
    except Exception as error:  # the child's last word must reach the parent
        emit({"event": "error", "message": f"training failed: {type(error).__name__}: {error}"})
        return EXIT_FAILED
    return EXIT_DONE


if __name__ == "__main__":
    sys.exit(main())
