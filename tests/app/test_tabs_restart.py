"""Several tabs across real starts of the app (subprocesses driven by tests/app/driver.py, on
one data folder and one settings file): after SIGKILL every tab's unsaved text is offered and
opens again, one tab each; after a clean quit the next start reopens the files, the current
tab and the window's size, skipping a file that is gone with one notice."""

from __future__ import annotations

from pathlib import Path

from test_app_crash import App, dirs, launch, quit_cleanly

__all__ = ["dirs"]  # the fixture: apps still running at the end of a test are killed

FIRST = "The first tab's draft, never saved. "
SECOND = "Der zweite Tab: noch nicht gespeichert — 漢字. "


def tabs_of(app: App) -> list[dict[str, object]]:
    assert app.ready is not None
    tabs = app.ready["tabs"]
    assert isinstance(tabs, list)
    return tabs


def test_after_sigkill_every_tab_is_recovered_in_a_tab_of_its_own(
    dirs: tuple[Path, Path],
) -> None:
    data_dir, config_dir = dirs
    writer = launch(data_dir, config_dir, FIRST, tabs=[SECOND])
    writer.read_until("typed all")
    while writer.journalled < len(FIRST) + len(SECOND):
        writer.read_until("journalled")
    writer.killed()

    recovering = launch(data_dir, config_dir, then="quit-discard")
    recovering.read_until("ready")
    assert sorted(entry["text"] for entry in recovering.offered or []) == sorted([FIRST, SECOND])
    tabs = tabs_of(recovering)
    assert sorted(str(tab["text"]) for tab in tabs) == sorted([FIRST, SECOND])
    assert all(tab["modified"] for tab in tabs)  # unsaved until the writer saves them
    quit_cleanly(recovering)  # Discard, tab by tab

    again = launch(data_dir, config_dir, then="quit-discard")
    again.read_until("ready")
    assert again.offered is None  # discarded means gone
    quit_cleanly(again)


def test_the_next_start_reopens_the_files_the_current_tab_and_the_size(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    data_dir, config_dir = dirs
    names = ("one.txt", "two.txt", "three.txt")
    for name in names:
        (tmp_path / name).write_text(f"This is {name}.", encoding="utf-8")
    files = tuple(str(tmp_path / name) for name in names)
    first = launch(
        data_dir, config_dir, then="quit-discard", files=files, resize=[777, 555], current=1
    )
    first.read_until("ready")
    assert [tab["path"] for tab in tabs_of(first)] == [str(Path(f).resolve()) for f in files]
    quit_cleanly(first)

    second = launch(data_dir, config_dir, then="quit-discard")
    second.read_until("ready")
    assert second.ready is not None
    assert [tab["text"] for tab in tabs_of(second)] == [f"This is {name}." for name in names]
    assert second.ready["current"] == 1 and second.ready["text"] == "This is two.txt."
    assert second.ready["size"] == [777, 555]
    assert second.ready["notice"] == ""
    quit_cleanly(second)

    # A file that went away is skipped with one notice; a command-line file opens beside.
    (tmp_path / "two.txt").unlink()
    (tmp_path / "four.txt").write_text("This is four.txt.", encoding="utf-8")
    third = launch(data_dir, config_dir, then="quit-discard", files=(str(tmp_path / "four.txt"),))
    third.read_until("ready")
    assert third.ready is not None
    texts = [tab["text"] for tab in tabs_of(third)]
    assert texts == ["This is one.txt.", "This is three.txt.", "This is four.txt."]
    assert third.ready["text"] == "This is four.txt."  # the command line's file is in front
    notice = str(third.ready["notice"])
    assert "two.txt" in notice and "moved or deleted" in notice
    quit_cleanly(third)
