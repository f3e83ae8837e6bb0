"""Download a model from the Hugging Face Hub into the local cache, with progress and Cancel.

Blocking: call it off the GUI thread. The only objects shared with other threads are the
``cancelled`` Event (set it from any thread) and the ``progress`` callback, which runs on
huggingface_hub's download threads and must only hand the figures on (for example by emitting a
Qt signal), never touch widgets.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from penwright.models.errors import EngineError

# Files a causal LM in transformers never needs; a repo may hold gigabytes of them.
_IGNORED_FILES = [
    "*.onnx", "onnx/*", "*.tflite", "*.msgpack", "*.h5", "*.ot", "*.mlmodel", "coreml/*",
    "*.gguf", "original/*",
]
_TRUE = {"1", "true", "yes", "on"}


class DownloadError(EngineError):
    """A model could not be downloaded; the message says why and what to do."""


class DownloadCancelled(DownloadError):
    """The writer pressed Cancel."""


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes written so far of all files together; total is None until the Hub has told us."""

    downloaded_bytes: int
    total_bytes: int | None

    @property
    def percent(self) -> float | None:
        if not self.total_bytes:
            return None
        return min(100.0, 100.0 * self.downloaded_bytes / self.total_bytes)


ProgressCallback = Callable[[DownloadProgress], None]


def download_model(
    repo_id: str,
    progress: ProgressCallback | None = None,
    cancelled: threading.Event | None = None,
    cache_dir: str | Path | None = None,
) -> Path:
    """Download repo_id (for example "HuggingFaceTB/SmolLM2-135M") and return its local folder.

    Files already in the cache are not fetched again. Raises DownloadCancelled when cancelled is
    set, DownloadError with a clear message when offline, the id is wrong, or the repo is gated.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    repo_id = repo_id.strip()
    stop = cancelled or threading.Event()
    # huggingface_hub reads HF_HUB_OFFLINE once at import; read it now so a later change counts.
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE
    try:
        folder = snapshot_download(
            repo_id,
            cache_dir=cache_dir,
            local_files_only=offline,
            ignore_patterns=_IGNORED_FILES,
            tqdm_class=_progress_class(progress, stop),
        )
    except DownloadCancelled:
        raise
    except HFValidationError:
        raise DownloadError(
            f"'{repo_id}' is not a Hugging Face model id: write it as organisation/name, "
            "for example HuggingFaceTB/SmolLM2-135M"
        ) from None
    except GatedRepoError:
        raise DownloadError(
            f"{repo_id} is gated: accept its licence on huggingface.co and log in with "
            "`hf auth login`, then try again"
        ) from None
    except RepositoryNotFoundError:
        raise DownloadError(
            f"there is no model {repo_id} on the Hugging Face Hub (or it is private)"
        ) from None
    except RevisionNotFoundError as err:
        raise DownloadError(f"{repo_id}: {err}") from None
    except LocalEntryNotFoundError:
        why = "HF_HUB_OFFLINE is set" if offline else "the Hugging Face Hub cannot be reached"
        raise DownloadError(
            f"cannot download {repo_id}: {why} and it is not in the local cache. "
            "Connect to the internet and try again, or choose a model already on this computer."
        ) from None
    except HfHubHTTPError as err:
        raise DownloadError(f"the Hugging Face Hub refused {repo_id}: {err}") from None
    except _connection_errors() as err:
        # huggingface_hub resumes a broken stream five times, then lets the HTTP client's
        # error through (not an HfHubHTTPError, not an OSError).
        raise DownloadError(
            f"the download of {repo_id} broke off: {err}. Check the connection and try again."
        ) from None
    except OSError as err:
        raise DownloadError(f"cannot save {repo_id}: {err.strerror or err}") from None
    if stop.is_set():
        raise DownloadCancelled(f"download of {repo_id} cancelled")
    return Path(str(folder))


def _connection_errors() -> tuple[type[Exception], ...]:
    """The errors of huggingface_hub's HTTP client for a connection that fails or breaks off:
    httpx2 from huggingface_hub 2, httpx in 1.x (requests, before 1.0, raises OSErrors)."""
    found: list[type[Exception]] = []
    for module in ("httpx2", "httpx"):
        try:
            found.append(importlib.import_module(module).TransportError)
        except ImportError:
            continue
    return tuple(found)


def _progress_class(progress: ProgressCallback | None, cancelled: threading.Event) -> type[tqdm]:
    """A silent tqdm that reports huggingface_hub's byte counter and stops when cancelled.

    huggingface_hub drives every per-file download through one aggregated "Reconstructing" bar
    (all files' bytes); raising from update() aborts each download thread at its next chunk.
    """

    class _Reporter(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True  # a GUI app has no terminal to draw a bar on
            self._reports = str(kwargs.get("desc", "")).startswith("Reconstructing")
            self._done = int(kwargs.get("initial", 0) or 0)
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancelled.is_set():
                raise DownloadCancelled("download cancelled")
            self._done += int(n or 0)
            if self._reports and progress is not None:
                total = int(self.total) if self.total else None
                progress(DownloadProgress(self._done, total))
            return None

    return _Reporter
