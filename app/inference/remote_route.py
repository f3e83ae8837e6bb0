"""Which text source a spec names: the remote servers of the settings, for the model loader.

A spec whose source is "remote:NAME" (models.sources.remote_spec) loads a RemoteSource for the
entry NAME of Preferences > Model, with its key from the KeyStore; any other spec is the local
engine's (the router answers None). Runs in the loader thread: it reads the store's current
Settings (a frozen value) and the keyring, never a widget.
"""

from __future__ import annotations

from penwright.app.settings.remote_servers import find_entry, server_for
from penwright.app.settings.secrets import KeyStore, remote_account
from penwright.app.settings.store import SettingsStore
from penwright.models.errors import ModelLoadError
from penwright.models.sources.protocol import TextSource
from penwright.models.sources.remote_spec import remote_source_name
from penwright.models.spec import ModelSpec


class RemoteRouting:
    def __init__(self, store: SettingsStore, keys: KeyStore) -> None:
        self._store = store
        self._keys = keys

    def __call__(self, spec: ModelSpec) -> TextSource | None:
        name = remote_source_name(spec)
        if name is None:
            return None
        entry = find_entry(self._store.current.remote_servers, name)
        if entry is None:
            raise ModelLoadError(f"there is no remote server named {name!r} in Preferences > Model")
        # Imported here: the HTTP client loads with the first remote server, not at start-up.
        from penwright.models.sources.remote import RemoteSource

        keys = self._keys
        # The key is read at each request: a key fixed in Preferences works at once.
        return RemoteSource(
            server_for(entry, keys),
            key=lambda: keys.get(remote_account(entry.name)) or entry.key_in_file,
        )
