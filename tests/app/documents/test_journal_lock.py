""" "Is this session alive" is the lock its process holds, not its pid: a session whose pid looks
dead (another PID namespace, another machine on a shared data folder) is left alone while its
process holds the lock, and offered once the process is gone, however it died."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from penwright.app.documents.journal_store import JournalEntry, JournalStore
from penwright.app.documents.session_lock import Liveness, probe
from penwright.models.files.textfile import TextFormat

ROOT = Path(__file__).resolve().parents[3]

# A child that starts a journal session, writes one entry, says so, and waits on stdin.
HOLDER = """
import sys
from pathlib import Path
from penwright.app.documents.journal_store import JournalEntry, JournalStore
from penwright.models.files.textfile import TextFormat
store = JournalStore(Path(sys.argv[1]), session_id="other-namespace")
store.write(JournalEntry("b1", None, "Theirs", "their live text", TextFormat(), 1.0))
print("holding", flush=True)
sys.stdin.read()
"""


def _pid_that_looks_dead(store_dir: Path) -> None:
    """What the marker looks like from another PID namespace: a pid that is not running here."""
    marker = store_dir / "session.json"
    record = json.loads(marker.read_text())
    marker.write_text(json.dumps({**record, "pid": 2**22 + 12345, "process_started": 1.0}))


def _start_holder(data_dir: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "holding"
    return child


def test_a_live_process_holding_the_lock_keeps_its_buffer_though_its_pid_looks_dead(
    tmp_path: Path,
) -> None:
    child = _start_holder(tmp_path)
    try:
        session_dir = tmp_path / "journal" / "other-namespace"
        _pid_that_looks_dead(session_dir)

        assert probe(session_dir) is Liveness.ALIVE
        assert JournalStore(tmp_path).scan_recoverable().entries == ()
        assert (session_dir / "b1.entry").exists()  # not adopted, not cleaned up
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()

    # The kernel released the lock with the process: now it is a crash to recover from.
    assert probe(session_dir) is Liveness.DEAD
    (item,) = JournalStore(tmp_path).scan_recoverable().entries
    assert item.entry.text == "their live text"


def test_a_session_whose_lock_is_free_is_recovered_though_its_pid_is_alive(
    tmp_path: Path,
) -> None:
    crashed = JournalStore(tmp_path)
    crashed.write(JournalEntry("b1", None, "Mine", "left behind", TextFormat(), 1.0))
    crashed.close()  # what dying does to the lock; the marker still names this live pid
    record = json.loads((crashed.session_dir / "session.json").read_text())
    assert record["pid"] == os.getpid()

    (item,) = JournalStore(tmp_path).scan_recoverable().entries
    assert item.entry.text == "left behind"


def test_an_older_session_without_a_lock_file_is_judged_by_its_pid(tmp_path: Path) -> None:
    running = JournalStore(tmp_path)
    running.write(JournalEntry("b1", None, "Mine", "still typing", TextFormat(), 1.0))
    running.close()
    (running.session_dir / "alive.lock").unlink()  # as an older Penwright left it
    assert probe(running.session_dir) is Liveness.UNKNOWN
    assert JournalStore(tmp_path).scan_recoverable().entries == ()  # pid and start time match

    _pid_that_looks_dead(running.session_dir)
    assert len(JournalStore(tmp_path).scan_recoverable().entries) == 1


def test_the_lock_is_held_from_the_first_moment_the_session_folder_exists(
    tmp_path: Path,
) -> None:
    store = JournalStore(tmp_path)
    store.begin_session()
    assert probe(store.session_dir) is Liveness.ALIVE
    store.end_session()
    assert not store.session_dir.exists()
