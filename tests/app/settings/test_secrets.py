"""API keys: in the system keyring when there is one, for the session only when there is none
(keyring's real "fail" backend, as on a headless machine), and never lost on a keyring error."""

from __future__ import annotations

import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import fail

from penwright.app.settings.secrets import (
    NO_KEYRING,
    SERVE_ACCOUNT,
    SERVICE,
    KeyPlace,
    KeyStore,
    remote_account,
)


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict (the system's would need a desktop)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, refuse: bool = False) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}
        self.refuse = refuse

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise keyring.errors.PasswordSetError("the keyring is locked")
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.passwords:
            raise keyring.errors.PasswordDeleteError("no such password")
        del self.passwords[(service, username)]


def test_keys_go_to_the_keyring_under_the_apps_service() -> None:
    backend = MemoryKeyring()
    keys = KeyStore(backend)
    assert keys.available and keys.problem == ""
    assert keys.set(remote_account("gpu box"), "k1") is KeyPlace.KEYRING
    assert backend.passwords == {(SERVICE, "remote:gpu box"): "k1"}
    assert KeyStore(backend).get("remote:gpu box") == "k1"  # another run reads it back
    keys.delete("remote:gpu box")
    assert keys.get("remote:gpu box") == ""
    keys.delete("remote:gpu box")  # twice is fine
    assert keys.set(SERVE_ACCOUNT, "") is KeyPlace.KEYRING and keys.get(SERVE_ACCOUNT) == ""


def test_without_a_keyring_a_key_lasts_the_session_and_the_writer_is_told() -> None:
    keys = KeyStore(fail.Keyring())
    assert not keys.available
    assert keys.problem == NO_KEYRING
    assert "session only" in keys.problem and "settings file" in keys.problem
    assert keys.set("remote:a", "k2") is KeyPlace.SESSION
    assert keys.get("remote:a") == "k2"
    assert KeyStore(fail.Keyring()).get("remote:a") == ""  # gone with the session
    keys.delete("remote:a")
    assert keys.get("remote:a") == ""


def test_a_keyring_that_refuses_keeps_the_key_for_the_session_and_says_why() -> None:
    keys = KeyStore(MemoryKeyring(refuse=True))
    assert keys.set("remote:a", "k3") is KeyPlace.SESSION
    assert keys.get("remote:a") == "k3"
    assert "the keyring is locked" in keys.problem
