"""logprobs on a streamed completion (the official openai client), from the probabilities the
engine streams with its tokens; and a served remote source that reports its own, which the
server passes on instead of refusing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import torch
from remote_fault_server import FaultServer, fault_server
from served import RunningServer

from penwright.models.serving.config import ServeConfig
from penwright.models.serving.jobs import JobQueue
from penwright.models.serving.owner import ModelOwner, describe_source
from penwright.models.serving.server import HttpServer
from penwright.models.sources.remote import RemoteServer, RemoteSource, remote_spec


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "/v1", api_key="none", max_retries=0)


def test_a_streamed_completion_carries_each_pieces_logprobs(
    server: RunningServer, tiny_gemma: Any
) -> None:
    api = client(server.url)
    chunks = list(
        api.completions.create(
            model="tiny", prompt="The sea", max_tokens=6, temperature=0, logprobs=2, stream=True
        )
    )
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    tokens, chosen, tops = [], [], []
    for chunk in chunks:
        logprobs = chunk.choices[0].logprobs if chunk.choices else None
        if logprobs is not None and logprobs.tokens:
            tokens += logprobs.tokens
            chosen += logprobs.token_logprobs
            tops += logprobs.top_logprobs
    assert tokens and "".join(tokens) == text
    assert all(len(top) <= 2 and token in top for token, top in zip(tokens, tops, strict=True))
    # The first token's: the model's own softmax after the prompt (greedy: temperature 1).
    ids = tiny_gemma.tokenizer("The sea")["input_ids"]
    with torch.inference_mode():
        logits = tiny_gemma.model(torch.tensor([ids])).logits[0, -1].float()
    best = float(torch.log_softmax(logits, dim=-1).max())
    assert chosen[0] == pytest.approx(best, abs=2e-3)


@pytest.fixture
def vllm_like() -> Iterator[FaultServer]:
    with fault_server() as upstream:
        upstream.logprobs = [(math.log(0.6), {p: math.log(0.6)}) for p in upstream.pieces]
        yield upstream


def test_a_served_remote_source_passes_its_logprobs_on(vllm_like: FaultServer) -> None:
    source = RemoteSource(RemoteServer("up", vllm_like.base_url, "fault-model", preset="vllm"))
    source.load(remote_spec("up"))
    served = describe_source(source, "relay")
    assert served.logprobs  # not refused with a 400: the source reports its own
    queue = JobQueue(4)
    owner = ModelOwner(source, queue)
    owner.start()
    http = HttpServer(queue, lambda: served, ServeConfig(port=0))
    http.start()
    try:
        answer = client(f"http://127.0.0.1:{http.port}").completions.create(
            model="relay", prompt="Once", max_tokens=16, temperature=0, logprobs=1, stop=["!"]
        )
    finally:
        http.stop()
        owner.stop()
        source.close()
    logprobs = answer.choices[0].logprobs
    assert logprobs is not None
    assert "".join(logprobs.tokens) == answer.choices[0].text
    assert logprobs.token_logprobs == pytest.approx([math.log(0.6)] * len(logprobs.tokens))
    assert vllm_like.bodies[-1]["logprobs"] == 1
