"""Each line's own ending, so a file with mixed line endings is written back as it was stored.

The editor works on text with "\\n" only. A file that uses one convention throughout needs only
that convention to be written back (TextFormat.newline). A file that mixes them (CRLF lines
pasted into an LF file, say) needs more: on read, ``record_line_endings`` keeps every line
break's ending together with a hash of each line, and on write ``restore_line_endings`` finds
which lines of the edited text are the file's own (the common start and end, and a line diff of
the part in between) and gives each of them its old ending back; lines the writer added take the
file's dominant ending. Lines the writer edited in place keep theirs too. Only mixed files pay
for this: for the others ``record_line_endings`` returns None after three counts.
"""

from __future__ import annotations

import difflib
import re
from array import array
from dataclasses import dataclass

NEWLINES = ("\n", "\r\n", "\r")
_BREAK = re.compile(r"\r\n|\r|\n")
# Above this many changed lines on either side, the line diff (quadratic at worst) is skipped:
# the changed lines then take the dominant ending, the unchanged start and end keep theirs.
_MAX_DIFFED_LINES = 20_000


@dataclass(frozen=True, eq=False)
class LineEndings:
    """The line breaks of a mixed file as read: ``endings[i]`` ends line i, whose text hashes
    to ``line_hashes[i]`` (the last line, after the last break, has a hash and no ending).
    Hashes use Python's per-process ``hash``: the record is never stored, only kept in memory."""

    endings: tuple[str, ...]
    line_hashes: array[int]  # array("q") of hash(line)


def count_newlines(text: str) -> dict[str, int]:
    """How many breaks of each kind ``text`` (not yet normalised) has."""
    crlf = text.count("\r\n")
    return {"\n": text.count("\n") - crlf, "\r\n": crlf, "\r": text.count("\r") - crlf}


def dominant_newline(counts: dict[str, int]) -> str:
    """The most frequent ending ("\\n" when there is none; ties keep the earlier, "\\n")."""
    best = max(NEWLINES, key=lambda newline: counts[newline])
    return best if counts[best] > 0 else "\n"


def record_line_endings(text: str, counts: dict[str, int]) -> LineEndings | None:
    """The per-line record of ``text`` (raw, with its own breaks), or None when it uses one
    kind of break only (then the dominant newline says everything)."""
    if sum(1 for count in counts.values() if count) < 2:
        return None
    endings = tuple(match.group() for match in _BREAK.finditer(text))
    lines = _BREAK.split(text)
    return LineEndings(endings, array("q", map(hash, lines)))


def restore_line_endings(text: str, record: LineEndings, dominant: str) -> str:
    """``text`` (with "\\n" breaks) with each break replaced by the ending its line had in the
    file when that line is still there, and by ``dominant`` when it is new."""
    lines = text.split("\n")
    new = array("q", map(hash, lines))
    old_of_new = _match_lines(record.line_hashes, new)
    endings = record.endings
    pieces: list[str] = []
    for index, line in enumerate(lines[:-1]):
        old = old_of_new[index]
        pieces.append(line)
        pieces.append(endings[old] if 0 <= old < len(endings) else dominant)
    pieces.append(lines[-1])
    return "".join(pieces)


def _match_lines(old: array[int], new: array[int]) -> list[int]:
    """For each new line, the index of the old line it is (-1 for a line that is new)."""
    shortest = min(len(old), len(new))
    prefix = 0
    while prefix < shortest and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    mapping = list(range(prefix)) + [-1] * (len(new) - prefix)
    for back in range(1, suffix + 1):
        mapping[len(new) - back] = len(old) - back
    old_start, old_end = prefix, len(old) - suffix
    new_start, new_end = prefix, len(new) - suffix
    if old_end - old_start == new_end - new_start:
        # Lines edited in place: each keeps the ending of the line it was.
        for offset in range(new_end - new_start):
            mapping[new_start + offset] = old_start + offset
        return mapping
    if max(old_end - old_start, new_end - new_start) > _MAX_DIFFED_LINES:
        return mapping
    matcher = difflib.SequenceMatcher(
        None, old[old_start:old_end].tolist(), new[new_start:new_end].tolist(), autojunk=False
    )
    for tag, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        if tag in ("equal", "replace"):
            # A replaced run's first lines are most likely the same lines, edited.
            for offset in range(min(old_to - old_from, new_to - new_from)):
                mapping[new_start + new_from + offset] = old_start + old_from + offset
    return mapping
