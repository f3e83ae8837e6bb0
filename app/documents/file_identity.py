"""What a journal entry was based on: the file as it was when opened or saved.

Recovery compares the file on disk with this before it lets the recovered text go back to that
path, so an edit another program made after the crash is never replaced without the writer
knowing. Size and mtime_ns decide cheaply when nothing changed; the content hash decides when
only the time moved (a touch, a copy that kept the bytes). No Qt here.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileIdentity:
    size: int
    mtime_ns: int
    sha256: str = ""  # "" until computed (it is computed off the GUI thread)

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "mtime_ns": self.mtime_ns, "sha256": self.sha256}

    @classmethod
    def from_json(cls, value: object) -> FileIdentity | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            raise TypeError("based_on is not an object")
        size, mtime_ns, sha = value.get("size"), value.get("mtime_ns"), value.get("sha256", "")
        if not (isinstance(size, int) and isinstance(mtime_ns, int) and isinstance(sha, str)):
            raise TypeError("based_on has a field of the wrong type")
        return cls(size, mtime_ns, sha)


def stat_identity(path: Path) -> FileIdentity | None:
    """Size and time of path now (cheap, GUI thread safe); None when it cannot be looked at."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return FileIdentity(status.st_size, status.st_mtime_ns)


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class DiskChange(Enum):
    UNCHANGED = "unchanged"
    CHANGED = "changed"  # another program wrote the file after the entry's base was taken
    MISSING = "missing"  # the file is gone (deleted or moved)
    UNKNOWN = "unknown"  # no record of the base (an entry from an older version)


def compare_with_disk(path: Path, based_on: FileIdentity | None) -> DiskChange:
    if based_on is None:
        return DiskChange.UNKNOWN
    now = stat_identity(path)
    if now is None:
        return DiskChange.MISSING
    if now.size == based_on.size and now.mtime_ns == based_on.mtime_ns:
        return DiskChange.UNCHANGED
    if now.size != based_on.size or not based_on.sha256:
        return DiskChange.CHANGED
    try:
        same = sha256_of_file(path) == based_on.sha256
    except OSError:
        return DiskChange.CHANGED
    return DiskChange.UNCHANGED if same else DiskChange.CHANGED
