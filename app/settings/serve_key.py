"""The API key of "Serve to other programs": in the system keyring (app.settings.secrets, the
account SERVE_ACCOUNT), or for this session only where there is none; never in the settings
file. The keyring is asked only when serving is on or Preferences shows the key."""

from __future__ import annotations

from penwright.app.settings.secrets import SERVE_ACCOUNT, KeyPlace, KeyStore, shared_keys


def stored_serve_key(keys: KeyStore | None = None) -> str:
    """The key other programs must send ("" for none)."""
    return (keys or shared_keys()).get(SERVE_ACCOUNT)


def keep_serve_key(key: str, keys: KeyStore | None = None) -> KeyPlace | None:
    """Keep ``key`` ("" forgets it) where it changed; None when it was already kept."""
    keys = keys or shared_keys()
    if key == keys.get(SERVE_ACCOUNT):
        return None
    return keys.set(SERVE_ACCOUNT, key)
