"""API keys: in the system keyring, never in the settings file unless the writer asks.

One small store for every key Penwright keeps: the remote servers' keys (account
``remote:NAME``) and the key of Penwright's own server (``SERVE_ACCOUNT``). Where the system has
no keyring (a headless machine: keyring's "fail" backend; a locked or broken one), a key is kept
for this session only, in memory, and ``KeyStore.problem`` says so for the window to show; the
settings pages then offer to store it in the settings file, with a warning, as an explicit
choice. Keys never go to a log line.

Thread use: the keyring backends talk to D-Bus or the OS and may block a moment, so callers off
the GUI thread are welcome; the session dictionary is guarded by a lock.
"""

from __future__ import annotations

import logging
import threading
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keyring itself is imported at the first key asked for (it takes ~60 ms)
    import keyring.backend

logger = logging.getLogger(__name__)

SERVICE = "Penwright"
SERVE_ACCOUNT = "serve:api-key"
"""The account of the key Penwright's own OpenAI-compatible server asks its clients for."""


def remote_account(name: str) -> str:
    """The account of a remote server entry's key."""
    return f"remote:{name}"


class KeyPlace(Enum):
    KEYRING = "the system keyring"
    SESSION = "this session only"


NO_KEYRING = (
    "No system keyring is available here, so API keys are kept for this session only; tick "
    "\u201cstore the key in the settings file\u201d to keep one (it is then readable by anyone who "
    "can read that file)."
)


class KeyStore:
    """Keys by account. ``backend`` None: the system's (keyring.get_keyring())."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._backend = backend  # the system's is looked up at first use: it may take a moment
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()
        self._failure: str | None = None if backend is None else self._judge(backend)

    def _judge(self, backend: keyring.backend.KeyringBackend) -> str:
        return "" if _usable(backend) else NO_KEYRING

    def _system(self) -> keyring.backend.KeyringBackend:
        with self._lock:
            if self._backend is None:
                import keyring

                self._backend = keyring.get_keyring()
                self._failure = self._judge(self._backend)
            return self._backend

    @property
    def available(self) -> bool:
        """Whether keys go to a system keyring (else: this session only)."""
        return not self.problem

    @property
    def problem(self) -> str:
        """Why keys are kept for the session only; empty while the keyring works."""
        self._system()
        return self._failure or ""

    def get(self, account: str) -> str:
        """The key, or "" when none is kept (a keyring that fails reads as none, once said)."""
        import keyring.errors

        with self._lock:
            if account in self._session:
                return self._session[account]
        if not self.available:
            return ""
        try:
            return self._system().get_password(SERVICE, account) or ""
        except keyring.errors.KeyringError as error:
            self._lost(error)
            return ""

    def set(self, account: str, key: str) -> KeyPlace:
        """Keep ``key`` (empty: forget it). Where it went: the keyring, or the session when there
        is none or it refused (``problem`` then says why)."""
        import keyring.errors

        if not key:
            self.delete(account)
            return KeyPlace.KEYRING if self.available else KeyPlace.SESSION
        if self.available:
            try:
                self._system().set_password(SERVICE, account, key)
            except keyring.errors.KeyringError as error:
                self._lost(error)
            else:
                with self._lock:
                    self._session.pop(account, None)
                return KeyPlace.KEYRING
        with self._lock:
            self._session[account] = key
        return KeyPlace.SESSION

    def delete(self, account: str) -> None:
        import keyring.errors

        with self._lock:
            self._session.pop(account, None)
        if not self.available:
            return
        try:
            self._system().delete_password(SERVICE, account)
        except keyring.errors.PasswordDeleteError:
            pass  # there was none
        except keyring.errors.KeyringError as error:
            self._lost(error)

    def _lost(self, error: Exception) -> None:
        logger.warning("the system keyring failed (%s); keys are kept for this session", error)
        self._failure = (
            f"The system keyring failed ({error}), so API keys are kept for this session only; "
            "tick \u201cstore the key in the settings file\u201d to keep one."
        )


def _usable(backend: keyring.backend.KeyringBackend) -> bool:
    """keyring picks its "fail" backend (priority 0) where the system has none."""
    from keyring.backends import fail

    if isinstance(backend, fail.Keyring):
        return False
    try:
        return float(backend.priority) > 0
    except Exception:  # a backend whose priority check itself fails is no keyring to trust
        return False


_shared: KeyStore | None = None
_shared_lock = threading.Lock()


def shared_keys() -> KeyStore:
    """The process's one KeyStore (its session keys must be the same everywhere)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = KeyStore()
        return _shared
