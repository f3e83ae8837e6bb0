"""Penwright's server with ``curl``: a completion, a stream ending in [DONE], the models list,
and the status codes and messages of refused requests."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from served import RunningServer

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(*args: str) -> tuple[int, str]:
    """Run curl; return the HTTP status and the body."""
    done = subprocess.run(
        ["curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def post(server: RunningServer, path: str, body: dict | str, *extra: str) -> tuple[int, str]:
    data = body if isinstance(body, str) else json.dumps(body)
    return curl(
        "-H", "Content-Type: application/json", "-d", data, *extra, server.url + path
    )  # fmt: skip


def test_completion_and_models(server: RunningServer) -> None:
    status, body = post(server, "/v1/completions", {"prompt": "Hello", "max_tokens": 5})
    assert status == 200
    answer = json.loads(body)
    assert answer["object"] == "text_completion" and answer["model"] == "tiny"
    assert answer["usage"]["completion_tokens"] <= 5
    status, body = curl(server.url + "/v1/models")
    assert status == 200 and json.loads(body)["data"][0]["id"] == "tiny"
    status, body = curl(server.url + "/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}


def test_stream_is_server_sent_events_ending_in_done(server: RunningServer) -> None:
    status, body = post(
        server, "/v1/completions",
        {"prompt": "Hello", "max_tokens": 6, "temperature": 0, "stream": True}, "-N",
    )  # fmt: skip
    assert status == 200
    events = [line.removeprefix("data: ") for line in body.splitlines() if line]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")
    status, whole = post(
        server, "/v1/completions", {"prompt": "Hello", "max_tokens": 6, "temperature": 0}
    )
    text = "".join(chunk["choices"][0]["text"] for chunk in chunks)
    assert text == json.loads(whole)["choices"][0]["text"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"prompt": ', 400, "JSON"),
        ({"prompt": "x", "max_tokens": 5000}, 400, "max_tokens must be between 1 and 1024"),
        ({"prompt": "x", "temperature": 9}, 400, "temperature must be between 0 and 5"),
        ({"prompt": "x", "n": 9}, 400, "n must be between 1 and 8"),
        ({"prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, 400, "at most 4"),
        ({"prompt": "x", "logprobs": 9}, 400, "logprobs must be between 0 and 5"),
        ({"prompt": "x", "echo": True}, 400, "echo is not supported"),
        ({"prompt": ["a", "b"]}, 400, "one prompt per request"),
        ({"max_tokens": "many"}, 400, "max_tokens"),
        ({"prompt": "x", "model": "some/path"}, 404, "not served here"),
    ],
)
def test_refused_requests_say_why(
    server: RunningServer, body: dict | str, status: int, message: str
) -> None:
    got, text = post(server, "/v1/completions", body)
    assert got == status
    assert message in json.loads(text)["error"]["message"]
    assert server.engine.contexts == []  # none reached the model


def test_tokenize_counts_as_the_engine_does(server: RunningServer) -> None:
    """llama-server's POST /tokenize shape, with the served model's own token ids."""
    text = "The lighthouse stood dark. 灯塔很暗。"
    status, body = post(server, "/tokenize", {"content": text})
    assert status == 200
    assert json.loads(body) == {"tokens": list(server.engine.tokenizer(text)["input_ids"])}
    status, body = post(server, "/tokenize", {"text": text})
    assert status == 400 and "content" in json.loads(body)["error"]["message"]
