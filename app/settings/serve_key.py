"""The API key of "Serve to other programs", kept for this session only.

It never goes into the settings file. The system keyring support (app.settings.secrets, issue 15
part 2) is the place for it: point these two functions at ``shared_keys().get/set`` with the
account ``SERVE_KEY_ACCOUNT`` and it persists safely. Until then the writer types it again after
a restart; the app's server binds 127.0.0.1 only, where a key is optional.
"""

from __future__ import annotations

import threading

SERVE_KEY_ACCOUNT = "serve"

_lock = threading.Lock()
_session_key = ""


def serve_api_key() -> str:
    """The key other programs must send ("" for none)."""
    with _lock:
        return _session_key


def set_serve_api_key(key: str) -> None:
    global _session_key
    with _lock:
        _session_key = key.strip()
