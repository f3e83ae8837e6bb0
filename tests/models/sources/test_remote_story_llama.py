"""The story context over a real llama.cpp server (llama-cpp-python's, serving the bundled
GGUF on 127.0.0.1): its own tokenizer endpoint counts the parts, so the budget is kept in the
server's tokens and the context view says whose count it shows."""

from __future__ import annotations

import threading

import httpx
from llama_cpp_server import MODEL_ALIAS

from penwright.models.params import GenerationParams
from penwright.models.sources.remote import RemoteServer, RemoteSource, remote_spec
from penwright.models.sources.remote_tokens import ESTIMATE_COUNTING, SERVER_COUNTING
from penwright.models.story.assembly import MEMORY, NOTE, STORY
from penwright.models.story.story import LoreEntry, StoryContext

STORY_CONTEXT = StoryContext(
    memory="A story about a lighthouse keeper's daughter.",
    note="[Style: quiet]",
    note_depth=1,
    lore=(LoreEntry("Mara", ("/ma+ra/",), "Mara is nineteen."),),
)
TEXT = "The tide came in.\n\nMaaara climbed the stairs and"


def _server_ids(url: str, text: str) -> list[int]:
    root = url.removesuffix("/v1")
    response = httpx.post(f"{root}/extras/tokenize", json={"input": text}, trust_env=False)
    return list(response.json()["tokens"])


def _source(url: str, preset: str = "llama-cpp-python") -> RemoteSource:
    source = RemoteSource(RemoteServer("llama", url, MODEL_ALIAS, preset=preset))
    source.load(remote_spec("llama"))
    return source


def test_the_servers_tokenizer_counts_the_story_it_is_sent(llama_cpp_server: str) -> None:
    source = _source(llama_cpp_server)
    params = GenerationParams(temperature=0.0, max_new_tokens=4, story=STORY_CONTEXT)
    preview = source.preview(TEXT, params)
    assert preview.counting == SERVER_COUNTING
    text = preview.assembled.text
    assert text.startswith(STORY_CONTEXT.memory + "\n\nMara is nineteen.\n\n")  # regex key
    assert text.endswith("[Style: quiet]\n\nMaaara climbed the stairs and")
    assert [p.kind for p in preview.assembled.parts][-2:] == [NOTE, STORY]
    assert list(preview.prompt_ids) == _server_ids(llama_cpp_server, text)
    memory = preview.assembled.parts[0]
    assert memory.kind == MEMORY
    assert memory.tokens == len(_server_ids(llama_cpp_server, memory.text)) - 1  # less its BOS
    texts = [d.text for d in source.stream(TEXT, params, threading.Event())]
    assert source.last_prompt == text and "".join(texts).strip()
    source.close()


def test_a_budget_in_the_servers_tokens_cuts_the_story(llama_cpp_server: str) -> None:
    source = _source(llama_cpp_server)
    long_text = "The waves rolled in again and again. " * 120 + "\n\nMara waited."
    params = GenerationParams(context_tokens=100, max_new_tokens=4, story=STORY_CONTEXT)
    preview = source.preview(long_text, params)
    assert preview.assembled.parts[-1].kind == STORY
    assert preview.assembled.text.endswith("Mara waited.")
    assert len(_server_ids(llama_cpp_server, preview.assembled.text)) <= 100
    assert any(line.startswith("story: the first") for line in preview.assembled.cut)
    source.close()


def test_a_preset_whose_tokenizer_path_fails_falls_back_to_the_estimate(
    llama_cpp_server: str,
) -> None:
    # llama-server's /tokenize is not llama-cpp-python's: the source says it estimates.
    source = _source(llama_cpp_server, preset="llama-server")
    preview = source.preview(TEXT, GenerationParams(story=STORY_CONTEXT))
    assert preview.counting.startswith(ESTIMATE_COUNTING)
    assert "tokenizer endpoint failed" in preview.counting
    assert preview.assembled.text.startswith(STORY_CONTEXT.memory)
    source.close()
