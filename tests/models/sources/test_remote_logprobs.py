"""A remote server's streamed logprobs become the same per-token records the local engine gives
(models.results.TokenInfo): asked only of servers that report them, lined up with the shown
text, and dropped (never wrong) where the source's rules changed the text."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator

import pytest
from remote_fault_server import MODEL_ID, FaultServer, fault_server

from penwright.models.params import GenerationParams, StopMode
from penwright.models.results import Delta, TokenChoice, TokenInfo
from penwright.models.sources.remote import RemoteServer, RemoteSource, remote_spec
from penwright.models.sources.token_align import TokenAligner, server_tokens

ASKING = GenerationParams(
    temperature=0.0, stop=StopMode.NONE, max_new_tokens=16, top_alternatives=3
).plain()


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        running.logprobs = [
            (math.log(0.5 + i / 40), {piece: math.log(0.5 + i / 40), " other": math.log(0.1)})
            for i, piece in enumerate(running.pieces)
        ]
        yield running


def stream(server: FaultServer, preset: str, params: GenerationParams = ASKING) -> list[Delta]:
    source = RemoteSource(RemoteServer("faults", server.base_url, MODEL_ID, preset=preset))
    source.load(remote_spec("faults"))
    deltas = list(source.stream("Once", params, threading.Event()))
    source.close()
    return deltas


def test_a_server_that_reports_logprobs_gives_tokens(server: FaultServer) -> None:
    deltas = stream(server, "vllm")
    assert server.bodies[-1]["logprobs"] == 3
    tokens = [t for d in deltas for t in d.tokens]
    assert [t.text for t in tokens] == server.pieces
    assert "".join(t.text for t in tokens) == "".join(d.text for d in deltas)
    assert tokens[0].probability == pytest.approx(0.5)
    assert tokens[2].probability == pytest.approx(0.55)
    assert tokens[1].top == (
        TokenChoice(server.pieces[1], pytest.approx(0.525)),  # type: ignore[arg-type]
        TokenChoice(" other", pytest.approx(0.1)),  # type: ignore[arg-type]
    )


def test_servers_not_known_to_report_them_are_not_asked(server: FaultServer) -> None:
    deltas = stream(server, "llama-server")
    assert "logprobs" not in server.bodies[-1]
    assert all(d.tokens == () for d in deltas)


def test_nothing_is_asked_unless_the_request_wants_tokens(server: FaultServer) -> None:
    stream(server, "vllm", GenerationParams(temperature=0.0, stop=StopMode.NONE).plain())
    assert "logprobs" not in server.bodies[-1]


def test_a_sentence_stop_cuts_the_tokens_with_the_text(server: FaultServer) -> None:
    params = GenerationParams(
        temperature=0.0, stop=StopMode.SENTENCE, max_new_tokens=16, top_alternatives=2
    ).plain()
    deltas = stream(server, "vllm", params)
    text = "".join(d.text for d in deltas)
    assert text == " The rain fell on the roof."
    assert "".join(t.text for d in deltas for t in d.tokens) == text


def test_the_aligner_drops_tokens_where_the_text_parts() -> None:
    aligner = TokenAligner()
    aligner.add([TokenInfo(" a", 0.5), TokenInfo(" <b>", 0.4), TokenInfo(" c", 0.3)])
    assert [t.text for t in aligner.take(" a")] == [" a"]
    assert aligner.take(" c", done=True) == ()  # the markup was taken out: no guessing


def test_a_token_shown_in_part_at_the_end_keeps_its_part() -> None:
    aligner = TokenAligner()
    aligner.add([TokenInfo(" roof.", 0.5), TokenInfo(" It", 0.2)])
    assert aligner.take(" ro") == ()
    (cut,) = aligner.take("o", done=True)
    assert (cut.text, cut.probability) == (" roo", 0.5)


def test_malformed_logprobs_give_no_tokens() -> None:
    assert server_tokens(None) == []
    assert server_tokens({"tokens": "x"}) == []
    assert server_tokens({"tokens": [" a", 3], "token_logprobs": [0.0, 0.0]}) == [
        TokenInfo(" a", 1.0)
    ]
