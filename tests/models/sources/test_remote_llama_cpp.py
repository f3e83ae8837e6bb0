"""The remote text source against a real llama.cpp server (llama-cpp-python's, serving the
bundled GGUF on 127.0.0.1): the same keys of the TextSource contract as the local engine."""

from __future__ import annotations

import threading

from llama_cpp_server import MODEL_ALIAS

from penwright.models.params import GenerationParams
from penwright.models.prose import CLOSERS, LATIN_SENTENCE_ENDS
from penwright.models.sources.remote import RemoteServer, RemoteSource, list_models, remote_spec

CONTEXT = "The old lighthouse keeper climbed the stairs one last time, and"


def _source(url: str) -> RemoteSource:
    source = RemoteSource(RemoteServer("llama", url, MODEL_ALIAS, preset="llama-cpp-python"))
    source.load(remote_spec("llama"))
    return source


def _texts(source: RemoteSource, params: GenerationParams) -> dict[int, str]:
    texts: dict[int, str] = {}
    for delta in source.stream(CONTEXT, params, threading.Event()):
        texts[delta.alternative] = texts.get(delta.alternative, "") + delta.text
    return texts


def test_it_lists_and_loads_the_served_model(llama_cpp_server: str) -> None:
    assert MODEL_ALIAS in [m["id"] for m in list_models(RemoteServer("llama", llama_cpp_server))]
    source = _source(llama_cpp_server)
    assert source.info is not None and source.info.name == MODEL_ALIAS
    source.close()


def test_a_greedy_continuation_ends_at_a_sentence(llama_cpp_server: str) -> None:
    source = _source(llama_cpp_server)
    params = GenerationParams(temperature=0.0, max_new_tokens=40)
    first = _texts(source, params)
    assert list(first) == [0] and first[0].strip()
    assert source.last_stats.new_tokens > 0
    if source.last_stats.stop_reason == "stop":
        assert first[0].rstrip(CLOSERS)[-1] in LATIN_SENTENCE_ENDS
    # (Not compared with a second run: llama.cpp's prompt cache makes its greedy text differ.)


def test_alternatives_come_one_request_each_and_differ(llama_cpp_server: str) -> None:
    source = _source(llama_cpp_server)
    texts = _texts(source, GenerationParams(n=2, seed=3, temperature=1.0, max_new_tokens=16))
    assert sorted(texts) == [0, 1]
    assert texts[0].strip() != texts[1].strip()


def test_a_custom_stop_string_ends_it(llama_cpp_server: str) -> None:
    source = _source(llama_cpp_server)
    params = GenerationParams(temperature=0.0, max_new_tokens=40, stop="none")
    full = _texts(source, params)[0]
    word = full.split()[2]  # a word the greedy continuation writes
    stopped = _texts(source, GenerationParams(**{**params.__dict__, "stop": "custom",
                                                  "stop_strings": (word,)}))  # fmt: skip
    assert word not in stopped.get(0, "") and full.startswith(stopped.get(0, ""))


def test_a_cancel_after_the_first_piece_ends_the_stream(llama_cpp_server: str) -> None:
    source = _source(llama_cpp_server)
    cancelled = threading.Event()
    stream = source.stream(CONTEXT, GenerationParams(max_new_tokens=200, stop="none"), cancelled)
    next(stream)
    cancelled.set()
    assert list(stream) == []
    assert source.last_stats.cancelled
    # and the server serves the next request
    assert _texts(source, GenerationParams(temperature=0.0, max_new_tokens=8))[0]
