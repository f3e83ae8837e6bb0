"""The story of an unsaved document survives SIGKILL of the real app: typed into the Story
panel, journalled beside the text, and back in the panel after recovery at the next start."""

from __future__ import annotations

from pathlib import Path

from test_app_crash import dirs, launch  # noqa: F401  (dirs: the fixture)

MEMORY = "The lighthouse keeper's last winter; café, 漢字."


def test_the_story_comes_back_after_sigkill(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    data_dir, config_dir = dirs
    app = launch(data_dir, config_dir, "Untitled words.", memory=MEMORY)
    app.read_until("story journalled")
    app.killed()

    again = launch(data_dir, config_dir)
    again.read_until("ready")
    assert again.offered == [{"title": "Untitled", "text": "Untitled words."}]
    assert again.ready is not None
    assert again.ready["text"] == "Untitled words."
    assert again.ready["memory"] == MEMORY
    assert again.ready["modified"] is True
    again.process.kill()
    again.process.wait()
