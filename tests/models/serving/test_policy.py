"""Safe by default: the bind policy, the API key (401 without it), CORS only where configured,
and the limits on body, prompt and max_tokens (clear 400/413 messages)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest
from served import StartServer

from penwright.models.serving.config import (
    ServeConfig,
    ServeLimits,
    UnsafeBind,
    check_bind,
    is_loopback,
    key_matches,
)
from penwright.models.serving.jobs import JobQueue
from penwright.models.serving.server import HttpServer


def request(
    url: str, body: dict | bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict, dict[str, str]]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    asked = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        asked.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(asked, timeout=60) as answer:
            return answer.status, json.loads(answer.read() or b"{}"), dict(answer.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}"), dict(refused.headers)


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.4.5.6")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert not is_loopback("example.org") and not is_loopback("::")


def test_other_addresses_need_a_key() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "k3y")
    for host in ("0.0.0.0", "::", "192.168.1.2"):
        with pytest.raises(UnsafeBind, match="API key"):
            check_bind(host, None)
        with pytest.raises(UnsafeBind):
            check_bind(host, "")
    with pytest.raises(UnsafeBind):  # the server itself refuses to be made
        HttpServer(JobQueue(1), lambda: None, ServeConfig(host="0.0.0.0"))


def test_key_comparison() -> None:
    assert key_matches("Bearer s3cret", "s3cret")
    assert key_matches("bearer s3cret", "s3cret")
    assert not key_matches("Bearer s3cre", "s3cret")
    assert not key_matches("Basic s3cret", "s3cret")
    assert not key_matches(None, "s3cret")
    assert not key_matches("", "s3cret")


def test_a_key_is_asked_on_every_model_endpoint(start_server: StartServer) -> None:
    server = start_server(ServeConfig(api_key="s3cret"))
    for path, body in (
        ("/v1/models", None),
        ("/v1/completions", {"prompt": "x"}),
        ("/tokenize", {"content": "x"}),
    ):
        status, answer, headers = request(server.url + path, body)
        assert status == 401 and "API key" in answer["error"]["message"]
        assert headers.get("www-authenticate") == "Bearer"
        status, _, _ = request(server.url + path, body, {"Authorization": "Bearer wrong"})
        assert status == 401
        status, _, _ = request(server.url + path, body, {"Authorization": "Bearer s3cret"})
        assert status == 200
    assert request(server.url + "/health")[0] == 200  # says only "ok"


def _non_loopback_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.254.254.254", 1))  # UDP: picks the outgoing address, sends nothing
        address = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if is_loopback(address) else address


def test_a_non_loopback_bind_refuses_requests_without_the_key(start_server: StartServer) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address (the policy is tested above)")
    server = start_server(ServeConfig(host=address, api_key="s3cret"))
    url = f"http://{address}:{server.http.port}"
    status, answer, _ = request(url + "/v1/completions", {"prompt": "x", "max_tokens": 2})
    assert status == 401
    status, answer, _ = request(
        url + "/v1/completions",
        {"prompt": "x", "max_tokens": 2},
        {"Authorization": "Bearer s3cret"},
    )
    assert status == 200 and answer["choices"]


def test_limits_have_clear_messages(start_server: StartServer) -> None:
    limits = ServeLimits(max_body_bytes=2_000, max_prompt_chars=100, max_tokens=8)
    server = start_server(ServeConfig(limits=limits))
    url = server.url + "/v1/completions"
    status, answer, _ = request(url, {"prompt": "x" * 101})
    assert status == 400 and "at most 100" in answer["error"]["message"]
    assert answer["error"]["param"] == "prompt"
    status, answer, _ = request(url, {"prompt": "x", "max_tokens": 9})
    assert status == 400 and "between 1 and 8" in answer["error"]["message"]
    status, answer, _ = request(url, {"prompt": "x" * 3_000})
    assert status == 413 and "2,000 bytes" in answer["error"]["message"]
    status, answer, _ = request(url, {"prompt": "x" * 100, "max_tokens": 8})
    assert status == 200
    assert server.engine.contexts == ["x" * 100]


def test_cors_only_for_configured_origins(start_server: StartServer) -> None:
    closed = start_server()
    _, _, headers = request(closed.url + "/v1/models", None, {"Origin": "https://notes.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
    opened = start_server(ServeConfig(allowed_origins=("https://notes.example",)))
    _, _, headers = request(opened.url + "/v1/models", None, {"Origin": "https://notes.example"})
    assert {k.lower(): v for k, v in headers.items()}["access-control-allow-origin"] == (
        "https://notes.example"
    )
    _, _, headers = request(opened.url + "/v1/models", None, {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
