"""What the writer tells the model about a story, besides its text.

Plain frozen values, so the app, the command line and the context assembly share them and a
value read from disk can be compared with one typed in the panel. Reading them from the JSON of
a sidecar (sidecar.py) goes through ``story_from_json`` and ``banned_from_json``, which keep
what is well formed and say why they dropped the rest: a hand-edited file with one bad entry
still gives the writer the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The author's note goes this many paragraphs before the cursor unless the writer says otherwise
# (NovelAI and KoboldAI use 3: close enough to steer, far enough not to be continued verbatim).
DEFAULT_NOTE_DEPTH = 3
MAX_NOTE_DEPTH = 100
# A lore key is looked for in this many characters before the cursor unless the entry says.
DEFAULT_SCAN_CHARS = 2000


@dataclass(frozen=True)
class LoreEntry:
    """A piece of background the model reads only while one of its keys occurs near the cursor.

    A key is a plain word or phrase (matched case-insensitively, as a whole word) or a regular
    expression written between slashes (``/Cap(tain)?\\s+Ahab/``, case-insensitive too).
    """

    name: str
    keys: tuple[str, ...] = ()
    text: str = ""
    enabled: bool = True


@dataclass(frozen=True)
class StoryContext:
    """Memory, author's note and lore of one document."""

    memory: str = ""
    note: str = ""
    note_depth: int = DEFAULT_NOTE_DEPTH
    lore: tuple[LoreEntry, ...] = ()
    scan_chars: int = DEFAULT_SCAN_CHARS

    @property
    def empty(self) -> bool:
        return not (self.memory.strip() or self.note.strip() or self.lore)


@dataclass(frozen=True)
class Problems:
    """Why parts of a section were dropped while reading it (one line each, for the writer)."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


def story_to_json(story: StoryContext) -> dict[str, object]:
    return {
        "memory": story.memory,
        "note": story.note,
        "note_depth": story.note_depth,
        "scan_chars": story.scan_chars,
        "lore": [
            {"name": e.name, "keys": list(e.keys), "text": e.text, "enabled": e.enabled}
            for e in story.lore
        ],
    }


def story_from_json(value: object, problems: Problems) -> StoryContext:
    """The story section as read from disk; what has the wrong type is left out, with a reason."""
    if value is None:
        return StoryContext()
    if not isinstance(value, dict):
        problems.add(f"the story section is {_kind(value)}, not an object: ignored")
        return StoryContext()
    memory = _string(value, "memory", problems)
    note = _string(value, "note", problems)
    depth = _integer(value, "note_depth", DEFAULT_NOTE_DEPTH, 1, MAX_NOTE_DEPTH, problems)
    scan = _integer(value, "scan_chars", DEFAULT_SCAN_CHARS, 1, 1_000_000, problems)
    lore: list[LoreEntry] = []
    raw_lore = value.get("lore", [])
    if not isinstance(raw_lore, list):
        problems.add(f"lore is {_kind(raw_lore)}, not a list: ignored")
        raw_lore = []
    for number, raw in enumerate(raw_lore, start=1):
        entry = _lore_entry(raw, number, problems)
        if entry is not None:
            lore.append(entry)
    return StoryContext(memory, note, depth, tuple(lore), scan)


def banned_from_json(value: object, problems: Problems) -> tuple[str, ...]:
    """The banned phrases as read from disk: non-empty strings, once each, in their order."""
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(f"banned phrases are {_kind(value)}, not a list: ignored")
        return ()
    phrases: list[str] = []
    for item in value:
        if not isinstance(item, str):
            problems.add(f"a banned phrase is {_kind(item)}, not text: ignored")
        elif item.strip() and item not in phrases:
            phrases.append(item)
    return tuple(phrases)


def _lore_entry(raw: object, number: int, problems: Problems) -> LoreEntry | None:
    if not isinstance(raw, dict):
        problems.add(f"lore entry {number} is {_kind(raw)}, not an object: ignored")
        return None
    name = raw.get("name", "")
    text = raw.get("text", "")
    keys = raw.get("keys", [])
    enabled = raw.get("enabled", True)
    if not isinstance(name, str) or not isinstance(text, str):
        problems.add(f"lore entry {number} has a name or text that is not text: ignored")
        return None
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        problems.add(f"lore entry {number} ({name!r}) has keys that are not text: ignored")
        return None
    if not isinstance(enabled, bool):
        enabled = True
    return LoreEntry(name, tuple(key for key in keys if key.strip()), text, enabled)


def _string(value: dict[str, object], name: str, problems: Problems) -> str:
    item = value.get(name, "")
    if isinstance(item, str):
        return item
    problems.add(f"the story's {name} is {_kind(item)}, not text: ignored")
    return ""


def _integer(
    value: dict[str, object], name: str, default: int, low: int, high: int, problems: Problems
) -> int:
    item = value.get(name, default)
    if isinstance(item, bool) or not isinstance(item, int):
        problems.add(f"the story's {name} is {_kind(item)}, not a whole number: {default} used")
        return default
    if not low <= item <= high:
        problems.add(f"the story's {name} {item} is outside {low} to {high}: {default} used")
        return default
    return item


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")
