"""Naming a remote server: its entry in a ModelSpec, and how to reach it (no HTTP here, so the
settings can name servers without importing the HTTP client)."""

from __future__ import annotations

from dataclasses import dataclass, field

from penwright.models.sources.presets import DEFAULT_PRESET, ServerPreset, preset
from penwright.models.spec import ModelSpec

REMOTE_PREFIX = "remote:"
"""ModelSpec.source of a remote server entry: "remote:" and the entry's name."""


def remote_source_name(spec: ModelSpec) -> str | None:
    """The server entry a spec names, or None for a local model."""
    if spec.source.startswith(REMOTE_PREFIX):
        return spec.source[len(REMOTE_PREFIX) :]
    return None


def remote_spec(name: str) -> ModelSpec:
    return ModelSpec(source=REMOTE_PREFIX + name)


@dataclass(frozen=True)
class RemoteServer:
    """Where a remote model is and how to reach it. ``model`` empty: the first one the server
    lists. ``api_key`` empty: no Authorization header."""

    name: str
    base_url: str
    model: str = ""
    preset: str = DEFAULT_PRESET
    api_key: str = field(default="", repr=False)  # never in a log line or a repr
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 60.0  # the longest silence between two pieces of a stream

    @property
    def kind(self) -> ServerPreset:
        return preset(self.preset)

    @property
    def label(self) -> str:
        """How messages name the server: its entry name and address."""
        return f"{self.name} ({self.base_url})" if self.name else self.base_url

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
