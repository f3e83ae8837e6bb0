"""The sidecar: what Penwright keeps about a document besides its text, in a file beside it.

``Chapter.md`` has ``Chapter.md.penwright.json``: JSON with a format version and named
sections, each owned by one part of the app::

    {"format": 1, "sections": {"story": {...}, "banned_phrases": [...], "provenance": ...}}

- "story": memory, author's note and its depth, lore entries (story.py);
- "banned_phrases": phrases the model must never write;
- "provenance": who wrote which span (filled by the provenance feature).

A section this version does not know is kept as read and written back unchanged, so an older
Penwright never drops what a newer one stored. Writing is atomic (models.files.atomic). Reading
never fails: a missing file is an empty sidecar, and a damaged one (not JSON, too large, wrong
shape) is an empty sidecar plus a warning for the writer; within a section, the typed readers
(``read_story``, ``read_banned_phrases``) drop only what is malformed, with a reason. A sidecar
must never stop its document from opening.

For a document with unsaved changes the same bytes (``encode_sidecar``) ride in the autosave
journal beside its entry, so a crash loses neither (app.documents.journal_store).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from penwright.models.files.atomic import write_atomically
from penwright.models.story.story import (
    Problems,
    StoryContext,
    banned_from_json,
    story_from_json,
    story_to_json,
)

SIDECAR_SUFFIX = ".penwright.json"
FORMAT_VERSION = 1
# Far above any real story (a novel's worth of lore is a few hundred kB) and small enough that
# a stray huge file named like a sidecar cannot stall the opening of its document.
MAX_SIDECAR_BYTES = 16 * 1024 * 1024

STORY = "story"
BANNED_PHRASES = "banned_phrases"
PROVENANCE = "provenance"


@dataclass
class Sidecar:
    """The sections of one document's sidecar, as JSON values (dicts, lists, strings...)."""

    sections: dict[str, object] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any(value not in (None, {}, [], "") for value in self.sections.values())


def sidecar_path(document: str | Path) -> Path:
    """Where the sidecar of ``document`` lies: beside it, named after it."""
    document = Path(document)
    return document.with_name(document.name + SIDECAR_SUFFIX)


def encode_sidecar(sidecar: Sidecar) -> bytes:
    """The bytes of a sidecar file (sorted keys: the same content always gives the same file)."""
    data = {"format": FORMAT_VERSION, "sections": sidecar.sections}
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def decode_sidecar(data: bytes, where: str = "the sidecar") -> tuple[Sidecar, str | None]:
    """A sidecar from its bytes, or an empty one and the reason (naming ``where``)."""
    if len(data) > MAX_SIDECAR_BYTES:
        return Sidecar(), f"{where} is larger than {MAX_SIDECAR_BYTES // 2**20} MB: ignored"
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        return Sidecar(), f"{where} is damaged ({exc}): ignored"
    if not isinstance(value, dict) or not isinstance(value.get("sections"), dict):
        return Sidecar(), f"{where} does not hold Penwright's sections: ignored"
    version = value.get("format")
    if isinstance(version, bool) or not isinstance(version, int):
        return Sidecar(), f"{where} has no format version: ignored"
    sections = {str(name): section for name, section in value["sections"].items()}
    if version > FORMAT_VERSION:
        # A newer Penwright wrote it: read what this version knows, keep the rest as is.
        newer = f"{where} was written by a newer Penwright: some of it may be lost"
        return Sidecar(sections), newer
    return Sidecar(sections), None


def load_sidecar(path: str | Path) -> tuple[Sidecar, str | None]:
    """The sidecar file at ``path`` (see ``sidecar_path``); never raises.

    A missing file is an empty sidecar without a warning; an unreadable or damaged one is an
    empty sidecar and a warning naming the file, for the writer (told once, on opening).
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SIDECAR_BYTES + 1)
    except FileNotFoundError:
        return Sidecar(), None
    except OSError as exc:
        return Sidecar(), f"Could not read {path} ({exc.strerror or exc}): ignored"
    return decode_sidecar(data, str(path))


def save_sidecar(path: str | Path, sidecar: Sidecar) -> None:
    """Write the sidecar atomically; raises OSError naming ``path`` when the disk refuses."""
    write_atomically(path, encode_sidecar(sidecar))


# -- typed sections -------------------------------------------------------------------------------


def read_story(sidecar: Sidecar) -> tuple[StoryContext, list[str]]:
    """The story section, and why parts of it were dropped (empty when all was well)."""
    problems = Problems()
    story = story_from_json(sidecar.sections.get(STORY), problems)
    return story, problems.lines


def write_story(sidecar: Sidecar, story: StoryContext) -> None:
    if story.empty and story.note_depth == StoryContext().note_depth:
        sidecar.sections.pop(STORY, None)
    else:
        sidecar.sections[STORY] = story_to_json(story)


def read_banned_phrases(sidecar: Sidecar) -> tuple[tuple[str, ...], list[str]]:
    problems = Problems()
    phrases = banned_from_json(sidecar.sections.get(BANNED_PHRASES), problems)
    return phrases, problems.lines


def write_banned_phrases(sidecar: Sidecar, phrases: tuple[str, ...]) -> None:
    if phrases:
        sidecar.sections[BANNED_PHRASES] = list(phrases)
    else:
        sidecar.sections.pop(BANNED_PHRASES, None)


def describe_problems(where: str, lines: list[str]) -> str | None:
    """One message for the writer out of the reasons the typed readers gave, or None."""
    if not lines:
        return None
    shown = "; ".join(lines[:3]) + ("; …" if len(lines) > 3 else "")
    return f"Parts of {where} were ignored: {shown}"
