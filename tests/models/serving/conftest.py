"""Fixtures of the server tests: real servers on 127.0.0.1 over the tiny random Gemma 3 (the
helpers are in tests/models/served.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from served import GatedEngine, RunningServer, StartServer

from penwright.models.serving.config import ServeConfig
from penwright.models.serving.jobs import JobQueue
from penwright.models.serving.owner import ModelOwner, describe_source
from penwright.models.serving.server import HttpServer


@pytest.fixture
def start_server(tiny_gemma: Any) -> Iterator[StartServer]:
    """Start servers over the tiny model; every one is stopped after the test."""
    running: list[RunningServer] = []

    def start(
        config: ServeConfig | None = None, *, chat_template: str | None = None
    ) -> RunningServer:
        config = replace(config or ServeConfig(), port=0)
        engine = GatedEngine()
        tokenizer = tiny_gemma.tokenizer
        if chat_template is not None:
            import copy

            tokenizer = copy.copy(tokenizer)  # the shared fixture's tokenizer stays as it is
            tokenizer.chat_template = chat_template
        engine.attach(tiny_gemma.model, tokenizer, tiny_gemma.info)
        served = describe_source(engine, "tiny")
        queue = JobQueue(config.limits.queue_size)
        owner = ModelOwner(engine, queue)
        owner.start()
        http = HttpServer(queue, lambda: served, config)
        http.start()
        server = RunningServer(engine, queue, owner, http, served.id)
        running.append(server)
        return server

    yield start
    for server in running:
        server.engine.gate.set()
        server.http.stop()
        server.owner.stop()


@pytest.fixture
def server(start_server: StartServer) -> RunningServer:
    """A server with the default configuration (127.0.0.1, no key)."""
    return start_server()
