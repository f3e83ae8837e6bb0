"""The remote text source against a fault-injecting server of the tests' own, on 127.0.0.1:
every failure is one RemoteError of the right kind with the message the writer sees, a cancel
during a silent stream returns, and the request carries the settings the preset honours."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from remote_fault_server import MODEL_ID, FaultServer, fault_server

from penwright.models.params import GenerationParams
from penwright.models.results import Delta
from penwright.models.sources.protocol import TextSource
from penwright.models.sources.remote import RemoteServer, RemoteSource, list_models, remote_spec
from penwright.models.sources.remote_errors import RemoteError, RemoteFailure

PLAIN = GenerationParams(temperature=0.0, stop="none", max_new_tokens=16)


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        yield running


def _source(url: str, **options: object) -> RemoteSource:
    return RemoteSource(RemoteServer("faults", url, MODEL_ID, **options))  # type: ignore[arg-type]


def _loaded(server: FaultServer, **options: object) -> RemoteSource:
    source = _source(server.base_url, **options)
    source.load(remote_spec("faults"))
    return source


def _text(source: RemoteSource, params: GenerationParams = PLAIN, context: str = "Once") -> dict:
    texts: dict[int, str] = {}
    for delta in source.stream(context, params, threading.Event()):
        texts[delta.alternative] = texts.get(delta.alternative, "") + delta.text
    return texts


def _failure(source: RemoteSource, params: GenerationParams = PLAIN) -> RemoteError:
    with pytest.raises(RemoteError) as caught:
        _text(source, params)
    return caught.value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_remote_source_is_a_text_source(server: FaultServer) -> None:
    source = _loaded(server)
    assert isinstance(source, TextSource)
    assert source.info is not None and source.info.name == MODEL_ID
    assert source.info.device == "remote"
    source.close()
    assert source.info is None


def test_it_streams_the_servers_text_and_ends_at_the_sentence(server: FaultServer) -> None:
    source = _loaded(server)
    assert _text(source, GenerationParams(temperature=0.0)) == {0: " The rain fell on the roof."}
    assert source.last_stats.stop_reason == "stop"
    assert _text(source) == {0: " The rain fell on the roof. It was late."}
    assert source.last_stats.stop_reason == "length"


def test_the_request_carries_the_settings_the_preset_honours(server: FaultServer) -> None:
    params = GenerationParams(
        temperature=0.5, top_k=7, top_p=0.9, min_p=0.05, repetition_penalty=1.2, seed=11,
        max_new_tokens=20, stop="custom", stop_strings=("END",), n=2,
    )  # fmt: skip
    _text(_loaded(server, preset="vllm"), params)
    body = server.bodies[-1]
    assert body["model"] == MODEL_ID and body["stream"] is True and body["n"] == 2
    assert (body["temperature"], body["top_k"], body["top_p"]) == (0.5, 7, 0.9)
    assert (body["min_p"], body["repetition_penalty"], body["seed"]) == (0.05, 1.2, 11)
    assert (body["max_tokens"], body["stop"]) == (20, ["END"])
    _text(_loaded(server, preset="ollama"), params)
    # Ollama ignores these and returns one choice: one request per alternative, seeded apart.
    first, second = server.bodies[-2:]
    assert not {"top_k", "min_p", "repetition_penalty", "n"} & set(first)
    assert (first["seed"], second["seed"]) == (11, 12)


def test_alternatives_that_part_are_shown_and_numbered_in_order(server: FaultServer) -> None:
    texts = _text(_loaded(server, preset="vllm"), GenerationParams(n=3, stop="none", seed=1))
    assert sorted(texts) == [0, 1, 2]
    assert texts[0] == " The rain fell on the roof. It was late."
    assert texts[1].startswith(" The1") and texts[2].startswith(" The2")


def test_a_duplicate_alternative_is_dropped(server: FaultServer) -> None:
    # One choice per request (llama.cpp's server) and the same text twice: shown once.
    source = _loaded(server, preset="llama-server")
    assert _text(source, GenerationParams(n=2, stop="none", seed=1)) == {
        0: " The rain fell on the roof. It was late."
    }


def test_markup_ends_the_continuation_in_a_text_without_markup(server: FaultServer) -> None:
    server.pieces = [" The", " rain", " <", "br", ">", " fell"]
    assert _text(_loaded(server)) == {0: " The rain"}
    # A text with markup keeps it.
    assert _text(_loaded(server), context="<p>Once") == {0: " The rain <br> fell"}


def test_a_near_empty_text_is_sent_after_the_prose_opening(server: FaultServer) -> None:
    _text(_loaded(server), context="")
    assert server.bodies[-1]["prompt"] == "Chapter One\n\n"


def test_the_api_key_is_sent_as_a_bearer_token(server: FaultServer) -> None:
    _text(_loaded(server, api_key="s3cret"))
    assert server.headers[-1]["Authorization"] == "Bearer s3cret"
    assert "s3cret" not in repr(RemoteServer("x", "http://h", api_key="s3cret"))


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(RemoteError) as caught:
        _source(url).load(remote_spec("faults"))
    assert caught.value.failure is RemoteFailure.CONNECTION_REFUSED
    assert str(caught.value) == (
        f"Connection refused by faults ({url}): no server is listening there; is it running?"
    )


def test_unknown_host() -> None:
    url = "http://no-such-host.invalid:8000/v1"
    with pytest.raises(RemoteError) as caught:
        list_models(RemoteServer("faults", url))
    assert caught.value.failure is RemoteFailure.UNKNOWN_HOST
    assert (
        str(caught.value) == f"Unknown host: faults ({url}) could not be found; check the address."
    )


def test_tls_to_a_plain_http_server(server: FaultServer) -> None:
    url = server.base_url.replace("http://", "https://")
    with pytest.raises(RemoteError) as caught:
        _source(url).load(remote_spec("faults"))
    assert caught.value.failure is RemoteFailure.TLS
    assert str(caught.value).startswith(f"The secure connection to faults ({url}) failed (TLS")
    assert str(caught.value).endswith(
        "Check http:// against https:// and the server's certificate."
    )


@pytest.mark.parametrize(
    ("scenario", "failure", "message"),
    [
        (
            "401",
            RemoteFailure.UNAUTHORIZED,
            "{s} refused the request (401 unauthorized): it needs an API key, or the key set for"
            " it is wrong.",
        ),
        (
            "403",
            RemoteFailure.FORBIDDEN,
            "{s} refused the request (403 forbidden): this API key may not use it: this key may"
            " not use the model.",
        ),
        ("404-model", RemoteFailure.UNKNOWN_MODEL, f"{{s}} has no model named {MODEL_ID!r}."),
        (
            "429",
            RemoteFailure.RATE_LIMITED,
            "{s} is busy (429 too many requests); try again in 7 s.",
        ),
        (
            "500",
            RemoteFailure.SERVER_ERROR,
            "{s} failed with a server error (500): CUDA out of memory.",
        ),
        (
            "503",
            RemoteFailure.SERVER_ERROR,
            "{s} failed with a server error (503): loading the model.",
        ),
        (
            "400",
            RemoteFailure.BAD_REQUEST,
            "{s} refused the request (400): max_tokens is too large.",
        ),
        (
            "malformed",
            RemoteFailure.MALFORMED,
            "{s} sent something that is not an OpenAI-compatible completion (an event is not"
            " JSON: '{{not json'); check the base URL and the preset.",
        ),
        (
            "error-event",
            RemoteFailure.SERVER_ERROR,
            "{s} failed while writing: the GPU fell over",
        ),
        (
            "cut",
            RemoteFailure.STREAM_CUT,
            "{s} stopped in the middle of the suggestion (the connection closed early); nothing"
            " was inserted.",
        ),
    ],
)
def test_each_failure_of_a_completion_has_one_message(
    server: FaultServer, scenario: str, failure: RemoteFailure, message: str
) -> None:
    source = _loaded(server)
    server.scenario = scenario
    error = _failure(source)
    assert error.failure is failure
    assert str(error) == message.format(s=f"faults ({server.base_url})")
    if scenario == "429":
        assert error.retry_after_s == 7
    server.scenario = "ok"  # and the source serves the next request
    assert _text(source)[0].startswith(" The rain")


def test_a_page_that_is_no_event_stream_is_malformed(server: FaultServer) -> None:
    source = _loaded(server)
    server.scenario = "html"
    assert _failure(source).failure is RemoteFailure.MALFORMED


def test_failures_of_the_model_list_at_load(server: FaultServer) -> None:
    server.models_scenario = "401"
    with pytest.raises(RemoteError) as caught:
        _source(server.base_url).load(remote_spec("faults"))
    assert caught.value.failure is RemoteFailure.UNAUTHORIZED
    server.models_scenario = "ok"
    with pytest.raises(RemoteError) as caught:
        RemoteSource(RemoteServer("faults", server.base_url, "gpt-9", "vllm")).load(
            remote_spec("x")
        )
    assert caught.value.failure is RemoteFailure.UNKNOWN_MODEL
    assert str(caught.value) == (
        f"faults ({server.base_url}) has no model named 'gpt-9'. It serves: {MODEL_ID}."
    )
    wrong_path = server.base_url.removesuffix("/v1")
    with pytest.raises(RemoteError) as caught:
        _source(wrong_path).load(remote_spec("faults"))
    assert caught.value.failure is RemoteFailure.NOT_FOUND


def test_a_silent_server_times_out(server: FaultServer) -> None:
    source = _loaded(server, read_timeout_s=2.0)
    server.scenario = "silent"
    error = _failure(source)
    assert error.failure is RemoteFailure.TIMEOUT
    assert str(error) == (
        f"faults ({server.base_url}) did not answer in time (timeout); is it running and reachable?"
    )


def test_a_cancel_during_a_silent_stream_returns_and_hangs_up(server: FaultServer) -> None:
    source = _loaded(server, read_timeout_s=600)
    server.scenario = "silent"
    cancelled = threading.Event()
    got: list[Delta] = []
    stream = source.stream("Once", PLAIN, cancelled)
    got.append(next(stream))  # the one piece; the server says nothing more

    def rest() -> None:
        got.extend(stream)

    reader = threading.Thread(target=rest)
    reader.start()
    cancelled.set()
    reader.join(timeout=30)
    assert not reader.is_alive()  # it returned (how fast is the benchmark's business)
    assert got == [Delta(0, " The")]
    assert source.last_stats.cancelled and source.last_stats.stop_reason == "cancelled"
    assert server.disconnected.wait(30)  # and the server heard the client leave


def test_only_a_server_on_another_host_goes_through_the_environments_proxy() -> None:
    from penwright.models.sources.remote import _loopback

    assert _loopback("http://127.0.0.1:8000/v1") and _loopback("http://localhost:8080/v1")
    assert _loopback("http://[::1]:8000/v1")
    assert not _loopback("https://gpu.example.org/v1") and not _loopback("http://10.0.0.5/v1")


def test_a_request_cancelled_before_it_starts_sends_nothing(server: FaultServer) -> None:
    source = _loaded(server)
    cancelled = threading.Event()
    cancelled.set()
    assert list(source.stream("Once", PLAIN, cancelled)) == []
    assert source.last_stats.cancelled
    assert server.bodies == []
