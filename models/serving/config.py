"""How the server is set up (ServeConfig) and its limits (ServeLimits), and the bind policy:
127.0.0.1 by default; any other address only with an API key."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass, field

from penwright.models.params import LIMITS

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
API_KEY_VARIABLE = "PENWRIGHT_API_KEY"
"""The environment variable the command line reads the key from (safer than an argument, which
other users of the machine can see in the process list)."""


class UnsafeBind(ValueError):
    """Binding an address other programs on the network can reach, without an API key."""


@dataclass(frozen=True)
class ServeLimits:
    """What one request may ask for; beyond it the answer is a 400 (413 for the body) saying so.

    max_body_bytes: the request body; max_prompt_chars: the prompt (or all chat messages);
    max_tokens: tokens per choice (the engine's own ceiling is LIMITS["max_new_tokens"]);
    queue_size: requests waiting for the model besides the one running (then 429)."""

    max_body_bytes: int = 1_000_000
    max_prompt_chars: int = 100_000
    max_tokens: int = 1024
    queue_size: int = 16

    def __post_init__(self) -> None:
        ceiling = int(LIMITS["max_new_tokens"].high)
        if not 1 <= self.max_tokens <= ceiling:
            raise ValueError(f"max_tokens must be between 1 and {ceiling}, not {self.max_tokens}")
        for name in ("max_body_bytes", "max_prompt_chars", "queue_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")


@dataclass(frozen=True)
class ServeConfig:
    """Where to listen and who may ask. ``api_key`` None or empty: no key asked (loopback only);
    ``allowed_origins``: web pages (origins) whose scripts may call the server; none by default."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    allowed_origins: tuple[str, ...] = ()
    limits: ServeLimits = field(default_factory=ServeLimits)

    def check(self) -> None:
        """Raise UnsafeBind or ValueError when this configuration must not start."""
        if not 0 <= self.port <= 65535:
            raise ValueError(f"the port must be between 0 and 65535, not {self.port}")
        check_bind(self.host, self.api_key)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, "localhost")."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse a non-loopback address without an API key."""
    if not is_loopback(host) and not api_key:
        raise UnsafeBind(
            f"serving on {host} lets other machines use the model: set an API key "
            f"(the {API_KEY_VARIABLE} environment variable or --api-key), or bind 127.0.0.1"
        )


def key_matches(authorization: str | None, api_key: str) -> bool:
    """Whether an ``Authorization: Bearer KEY`` header carries ``api_key`` (constant time)."""
    if not authorization:
        return False
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), api_key.encode())
