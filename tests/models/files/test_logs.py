"""The log: a rotating file in $PENWRIGHT_LOG_DIR, its last lines, stderr when unwritable."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from penwright.models.files import logs
from penwright.models.files.folders import LOG_DIR_ENV, log_root


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "logs"
    monkeypatch.setenv(LOG_DIR_ENV, str(folder))
    yield folder
    logs.stop_logging()


def test_records_go_to_the_log_file_in_the_overridden_folder(log_dir: Path) -> None:
    path = logs.configure_logging()
    assert path == log_dir / logs.LOG_FILE_NAME
    logging.getLogger("penwright.app.example").info("the window is shown")
    assert logs.log_file() == path
    assert "the window is shown" in path.read_text(encoding="utf-8")
    last = logs.last_log_lines(1)[0]
    assert last.endswith("INFO penwright.app.example [MainThread] the window is shown")


def test_a_swallowed_error_is_logged_with_its_traceback(log_dir: Path) -> None:
    logs.configure_logging()
    try:
        raise ValueError("the sidecar is not JSON")
    except ValueError:
        logging.getLogger("penwright.app.documents.sidecar").warning(
            "ignoring the sidecar", exc_info=True
        )
    text = "\n".join(logs.last_log_lines(20))
    assert "WARNING penwright.app.documents.sidecar" in text
    assert "ValueError: the sidecar is not JSON" in text
    assert "Traceback (most recent call last)" in text


def test_a_large_file_is_rotated_at_start_up_and_never_while_running(
    log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    log = logging.getLogger("penwright.test")
    for start in range(5):
        logs.configure_logging()
        for i in range(60):
            log.info("start %d line %03d %s", start, i, "x" * 40)
        # Another process may append to the same file: nothing is renamed under it.
        assert sorted(p.name for p in log_dir.iterdir())[0] == "penwright.log"
        assert (log_dir / "penwright.log").stat().st_size > 2_000
        assert logs.last_log_lines(1)[0].endswith(f"start {start} line 059 " + "x" * 40)
    kept = sorted(p.name for p in log_dir.iterdir())
    assert kept == ["penwright.log", "penwright.log.1", "penwright.log.2", "penwright.log.3"]
    assert "start 4 line 000" in (log_dir / "penwright.log").read_text(encoding="utf-8")
    assert "start 3 line 000" in (log_dir / "penwright.log.1").read_text(encoding="utf-8")


def test_last_lines_are_the_newest_in_order(log_dir: Path) -> None:
    logs.configure_logging()
    log = logging.getLogger("penwright.test")
    for i in range(50):
        log.info("entry %d", i)
    lines = logs.last_log_lines(3)
    assert [line.rsplit(" ", 1)[-1] for line in lines] == ["47", "48", "49"]


def test_a_second_configure_does_not_write_records_twice(log_dir: Path) -> None:
    logs.configure_logging()
    path = logs.configure_logging()
    logging.getLogger("penwright.test").info("once")
    assert path.read_text(encoding="utf-8").count("once") == 1


def test_an_unwritable_folder_falls_back_to_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv(LOG_DIR_ENV, str(blocker / "logs"))
    try:
        path = logs.configure_logging()
        logging.getLogger("penwright.test").warning("still heard")
    finally:
        logs.stop_logging()
    assert path == blocker / "logs" / logs.LOG_FILE_NAME
    assert logs.log_file() is None
    assert logs.last_log_lines(5) == []
    err = capsys.readouterr().err
    assert "cannot be written" in err
    assert "still heard" in err


def test_without_the_override_the_platform_log_folder_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    assert log_root().name in {"log", "Logs", "penwright"}

