"""Remote server entries as settings: what is stored (never a key, unless the writer chose to),
how it is checked when read back, and how an entry becomes a RemoteServer with its key.

Stored under ``remote/servers`` as one JSON list of objects (plain text, like every list in the
settings file). A key is stored there only in ``key_in_file`` of an entry whose writer ticked
"store the key in the settings file"; otherwise it lives in the KeyStore (app.settings.secrets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from penwright.app.settings.secrets import KeyStore, remote_account
from penwright.models.sources.presets import DEFAULT_PRESET, PRESETS
from penwright.models.sources.remote_spec import RemoteServer, remote_source_name
from penwright.models.spec import DEFAULT_MODEL

if TYPE_CHECKING:
    from penwright.app.settings.store import Settings

MAX_SERVERS = 32
MAX_NAME_CHARS = 64
MAX_URL_CHARS = 2048
MAX_MODEL_CHARS = 256
MAX_KEY_CHARS = 4096
_ENTRY_CHARS = MAX_NAME_CHARS + MAX_URL_CHARS + MAX_MODEL_CHARS + MAX_KEY_CHARS
MAX_STORED_CHARS = MAX_SERVERS * (_ENTRY_CHARS * 6 + 128)
"""The longest ``remote/servers`` text a valid list can take (\\uXXXX is 6 characters each)."""


@dataclass(frozen=True)
class RemoteServerEntry:
    """One "Remote server" of Preferences > Model."""

    name: str
    base_url: str
    model: str = ""
    preset: str = DEFAULT_PRESET
    key_in_file: str = field(default="", repr=False)  # only when the writer chose it

    @property
    def key_stored_in_file(self) -> bool:
        return bool(self.key_in_file)


class RemoteEntriesError(ValueError):
    """The stored list cannot be used; the message says why (for the settings warning)."""


def entry_problem(entry: RemoteServerEntry) -> str | None:
    """What is wrong with an entry the writer typed, or None."""
    if not entry.name.strip():
        return "a remote server needs a name"
    if len(entry.name) > MAX_NAME_CHARS:
        return f"a remote server's name may be at most {MAX_NAME_CHARS} characters"
    url = entry.base_url.strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) <= len("http://"):
        return f"the base URL of {entry.name} must start with http:// or https://"
    if len(url) > MAX_URL_CHARS or len(entry.model) > MAX_MODEL_CHARS:
        return f"the base URL or model id of {entry.name} is too long"
    if any(c.isspace() for c in url):
        return f"the base URL of {entry.name} has a space in it"
    return None


def dump_entries(entries: tuple[RemoteServerEntry, ...]) -> str:
    items = []
    for entry in entries:
        item = {
            "name": entry.name,
            "base_url": entry.base_url,
            "model": entry.model,
            "preset": entry.preset,
        }
        if entry.key_in_file:
            item["key_in_file"] = entry.key_in_file
        items.append(item)
    return json.dumps(items)


def parse_entries(raw: str) -> tuple[RemoteServerEntry, ...]:
    """The stored entries; RemoteEntriesError for anything but a list of valid entries."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise RemoteEntriesError("it is not a JSON list of servers") from None
    if not isinstance(value, list):
        raise RemoteEntriesError("it is not a list of servers")
    if len(value) > MAX_SERVERS:
        raise RemoteEntriesError(f"it lists {len(value)} servers, more than {MAX_SERVERS}")
    entries: list[RemoteServerEntry] = []
    for item in value:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k, ""), str)
            for k in ("name", "base_url", "model", "preset", "key_in_file")
        ):
            raise RemoteEntriesError("a server is not a set of text fields")
        entry = RemoteServerEntry(
            name=item.get("name", ""),
            base_url=item.get("base_url", ""),
            model=item.get("model", ""),
            preset=item.get("preset", DEFAULT_PRESET)
            if item.get("preset") in PRESETS
            else DEFAULT_PRESET,
            key_in_file=item.get("key_in_file", "")[:MAX_KEY_CHARS],
        )
        problem = entry_problem(entry)
        if problem is not None:
            raise RemoteEntriesError(problem)
        if entry.name in {e.name for e in entries}:
            raise RemoteEntriesError(f"two servers are named {entry.name!r}")
        entries.append(entry)
    return tuple(entries)


def find_entry(entries: tuple[RemoteServerEntry, ...], name: str) -> RemoteServerEntry | None:
    return next((e for e in entries if e.name == name), None)


def server_for(entry: RemoteServerEntry, keys: KeyStore) -> RemoteServer:
    """The RemoteServer to connect to, with its key from the keyring (or session, or file)."""
    key = keys.get(remote_account(entry.name)) or entry.key_in_file
    return RemoteServer(
        name=entry.name,
        base_url=entry.base_url.strip(),
        model=entry.model.strip(),
        preset=entry.preset,
        api_key=key,
    )


def with_source(settings: Settings, source: str) -> Settings:
    """``settings`` writing with ``source`` (a local model or "remote:NAME"); leaving a local
    model for a server remembers it, so one click goes back to it."""
    local = settings.local_source
    leaving_local = remote_source_name(settings.model) is None
    if leaving_local and remote_source_name(replace(settings.model, source=source)) is not None:
        local = settings.model.source
    return replace(settings, model=replace(settings.model, source=source), local_source=local)


def local_model_of(settings: Settings) -> str:
    """The local model to go back to."""
    return settings.local_source or DEFAULT_MODEL
