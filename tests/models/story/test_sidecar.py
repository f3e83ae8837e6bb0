"""The sidecar file: round-trips, damaged and missing files, sections kept as read."""

from __future__ import annotations

import json
from pathlib import Path

from penwright.models.story.sidecar import (
    MAX_SIDECAR_BYTES,
    PROVENANCE,
    Sidecar,
    load_sidecar,
    read_banned_phrases,
    read_story,
    save_sidecar,
    sidecar_path,
    write_banned_phrases,
    write_story,
)
from penwright.models.story.story import LoreEntry, StoryContext

STORY = StoryContext(
    memory="Ahab hunts the white whale.",
    note="[Style: terse, nautical]",
    note_depth=2,
    lore=(
        LoreEntry("Ahab", ("Ahab", "/cap(tain)?\\s+a/"), "Captain of the Pequod."),
        LoreEntry("Pequod", ("ship",), "A whaler out of Nantucket.", enabled=False),
    ),
)


def test_the_sidecar_lies_beside_its_document(tmp_path: Path) -> None:
    assert sidecar_path(tmp_path / "Chapter.md") == tmp_path / "Chapter.md.penwright.json"


def test_story_banned_phrases_and_unknown_sections_round_trip(tmp_path: Path) -> None:
    sidecar = Sidecar()
    write_story(sidecar, STORY)
    write_banned_phrases(sidecar, ("suddenly", "a shiver ran down"))
    sidecar.sections[PROVENANCE] = {"spans": [[0, 5, "writer"]]}
    sidecar.sections["from_a_newer_version"] = [1, 2, 3]
    path = tmp_path / "a.md.penwright.json"
    save_sidecar(path, sidecar)

    loaded, warning = load_sidecar(path)
    assert warning is None
    assert read_story(loaded) == (STORY, [])
    assert read_banned_phrases(loaded) == (("suddenly", "a shiver ran down"), [])
    assert loaded.sections[PROVENANCE] == {"spans": [[0, 5, "writer"]]}
    assert loaded.sections["from_a_newer_version"] == [1, 2, 3]
    assert json.loads(path.read_text())["format"] == 1
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary, none left


def test_a_missing_sidecar_is_empty_without_a_warning(tmp_path: Path) -> None:
    sidecar, warning = load_sidecar(tmp_path / "none.penwright.json")
    assert warning is None and sidecar.empty
    assert read_story(sidecar) == (StoryContext(), [])


def test_a_damaged_sidecar_is_empty_with_a_warning_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "a.md.penwright.json"
    for content in (b'{"format": 1, "sections": {"story"', b"\xff\xfe", b"[1, 2]", b'{"a": 1}'):
        path.write_bytes(content)
        sidecar, warning = load_sidecar(path)
        assert sidecar.empty
        assert warning is not None and str(path) in warning


def test_a_huge_sidecar_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "a.md.penwright.json"
    path.write_bytes(b" " * (MAX_SIDECAR_BYTES + 1))
    sidecar, warning = load_sidecar(path)
    assert sidecar.empty and warning is not None and "larger" in warning


def test_a_folder_in_its_place_is_a_warning_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "a.md.penwright.json"
    path.mkdir()
    sidecar, warning = load_sidecar(path)
    assert sidecar.empty and warning is not None


def test_wrong_types_are_dropped_with_a_reason_and_the_rest_kept(tmp_path: Path) -> None:
    sections = {
        "story": {
            "memory": 42,
            "note": "kept",
            "note_depth": "three",
            "lore": [
                {"name": "Good", "keys": ["whale"], "text": "Big."},
                "not an entry",
                {"name": "Bad keys", "keys": "whale", "text": "x"},
            ],
        },
        "banned_phrases": ["ok", 7, "", "ok"],
    }
    sidecar = Sidecar(sections)
    story, problems = read_story(sidecar)
    assert story == StoryContext(note="kept", lore=(LoreEntry("Good", ("whale",), "Big."),))
    assert len(problems) == 4  # memory, note_depth, the string entry, the bad keys
    phrases, problems = read_banned_phrases(sidecar)
    assert phrases == ("ok",) and len(problems) == 1


def test_a_newer_format_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "a.md.penwright.json"
    path.write_text(json.dumps({"format": 99, "sections": {"story": {"memory": "m"}}}))
    sidecar, warning = load_sidecar(path)
    assert warning is not None and "newer" in warning
    assert read_story(sidecar)[0].memory == "m"


def test_an_empty_story_leaves_no_section() -> None:
    sidecar = Sidecar()
    write_story(sidecar, STORY)
    write_story(sidecar, StoryContext())
    write_banned_phrases(sidecar, ())
    assert sidecar.sections == {}
