"""Writing one file atomically: readers and crashes see the old content or the new, never half.

The data goes to a temporary file beside the target (same folder, so same file system), is
flushed to disk, and is renamed over the target; then the folder itself is synced so the rename
survives a power cut. Used for the writer's documents (app.documents), the autosave journal and
the model caches' index files. Folders published by rename (the model caches) call
``sync_directory`` themselves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import uuid
from pathlib import Path

logger = logging.getLogger(__name__)


def write_atomically(path: str | Path, data: bytes) -> None:
    """Replace the content of ``path`` with ``data`` (creating the file when it is new).

    A file that exists keeps its permission bits; a new one gets the usual ones (0666 less the
    umask). A symbolic link is followed: the file it points at is replaced and the link stays.
    Raises OSError naming ``path`` (not the temporary file) when anything fails; the old file is
    then untouched and no temporary file is left behind.
    """
    target = Path(os.path.realpath(path))
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise _naming(path, exc) from exc
    try:
        # Over an existing file the temporary starts private (0600), so nobody can open it
        # before it has the file's own bits; a new file gets 0666 less the umask.
        creation_mode = 0o666 if mode is None else 0o600
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY
        descriptor = os.open(temporary, flags, creation_mode)
        try:
            if mode is not None:
                _copy_mode(descriptor, temporary, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)  # the rename must not reach the disk before the data
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError):
            raise _naming(path, exc) from exc
        raise
    sync_directory(target.parent)


def sync_directory(folder: str | Path) -> None:
    """Make a rename in ``folder`` durable: until the folder itself is synced, a power cut can
    bring back the old entry (or none). POSIX only: Windows cannot open a folder, and NTFS
    journals the rename itself. Never raises: the rename already happened."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        return  # some file systems (network shares) refuse to sync a folder: nothing to add
    finally:
        os.close(descriptor)


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate "\n"


def _copy_mode(descriptor: int, temporary: Path, mode: int) -> None:
    """Give the temporary the old file's bits. Some drives (FAT, network shares) refuse:
    the save goes on with the bits the drive gives, which is what any editor gets there."""
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(descriptor, mode)
        else:  # Windows: only the read-only bit exists
            os.chmod(temporary, mode)
    except OSError:
        logger.warning("could not keep the permissions of %s", temporary, exc_info=True)


def _naming(path: str | Path, error: OSError) -> OSError:
    """The same kind of OSError (FileNotFoundError, PermissionError, ...), naming the target."""
    return OSError(error.errno, error.strerror or str(error), str(path))
