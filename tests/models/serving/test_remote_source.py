"""Penwright's own server as a remote text source (models.sources.remote, issue 15 part 2): the
same greedy text as the openai client gets, the key sent, a cancel that stops the server's
generation."""

from __future__ import annotations

import threading

import openai
from served import StartServer

from penwright.models.params import GenerationParams, StopMode
from penwright.models.serving.config import ServeConfig
from penwright.models.sources.remote import RemoteSource
from penwright.models.sources.remote_spec import RemoteServer, remote_spec


def test_the_remote_source_streams_what_the_server_generates(start_server: StartServer) -> None:
    server = start_server(ServeConfig(api_key="s3cret"))
    source = RemoteSource(
        RemoteServer("mine", server.url + "/v1", preset="penwright", api_key="s3cret")
    )
    info = source.load(remote_spec("mine"))
    assert info.name == server.model_id  # the first model the server lists
    params = GenerationParams(temperature=0.0, max_new_tokens=8, stop=StopMode.NONE).plain()
    text = "".join(d.text for d in source.stream("The lighthouse", params, threading.Event()))
    api = openai.OpenAI(base_url=server.url + "/v1", api_key="s3cret", max_retries=0)
    expected = api.completions.create(
        model=server.model_id, prompt="The lighthouse", max_tokens=8, temperature=0
    )
    assert text == expected.choices[0].text
    assert server.engine.contexts == ["The lighthouse", "The lighthouse"]
    source.close()


def test_a_cancel_from_the_remote_source_stops_the_servers_generation(
    start_server: StartServer,
) -> None:
    server = start_server()
    source = RemoteSource(RemoteServer("mine", server.url + "/v1", preset="penwright"))
    source.load(remote_spec("mine"))
    cancelled = threading.Event()
    params = GenerationParams(temperature=1.0, max_new_tokens=1000, stop=StopMode.NONE).plain()
    deltas = source.stream("Far away", params, cancelled)
    next(iter(deltas))
    cancelled.set()
    for _ in deltas:
        pass
    assert source.last_stats.cancelled
    assert server.engine.cancel_events[0].wait(30)  # the server saw the client go
    assert server.engine.ended_one.acquire(timeout=30)
    assert server.engine.ended[0].stop_reason == "cancelled"
    source.close()
