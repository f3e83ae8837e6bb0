"""The story context over a remote server (issue 17): Penwright's own server receives the
context the local engine would assemble (memory first, the author's note at its depth, the lore
a key brought in), counted by the server's own tokenizer (POST /tokenize)."""

from __future__ import annotations

import threading

from served import StartServer

from penwright.models.params import GenerationParams, StopMode
from penwright.models.sources.remote import RemoteSource
from penwright.models.sources.remote_spec import RemoteServer, remote_spec
from penwright.models.sources.remote_tokens import SERVER_COUNTING
from penwright.models.story.assembly import LORE, MEMORY, NOTE, STORY, StoryAssembler
from penwright.models.story.story import LoreEntry, StoryContext

TEXT = (
    "The tide came in at dusk.\n\nMara walked the wet sand.\n\n"
    "The lighthouse stood dark.\n\nShe climbed the stairs and"
)
STORY_CONTEXT = StoryContext(
    memory="A story about a lighthouse keeper's daughter.",
    note="[Style: quiet, sad]",
    note_depth=2,
    lore=(
        LoreEntry("Mara", ("mara",), "Mara is nineteen and afraid of heights."),
        LoreEntry("Captain", ("captain",), "The captain drowned years ago."),
    ),
)


def test_the_server_receives_the_assembled_story(start_server: StartServer) -> None:
    server = start_server()
    source = RemoteSource(RemoteServer("mine", server.url + "/v1", preset="penwright"))
    source.load(remote_spec("mine"))
    params = GenerationParams(
        temperature=0.0, max_new_tokens=4, stop=StopMode.NONE, story=STORY_CONTEXT
    )
    preview = source.preview(TEXT, params)
    list(source.stream(TEXT, params, threading.Event()))

    (received,) = server.engine.contexts
    assert received == source.last_prompt == preview.assembled.text
    assert received.startswith(STORY_CONTEXT.memory + "\n\n")
    assert "Mara is nineteen and afraid of heights.\n\n" in received  # "Mara" is in the text
    assert "captain drowned" not in received  # no key of it is
    # The note two paragraphs before the cursor, the story around it.
    before, after = received.split("[Style: quiet, sad]\n\n")
    assert after == "The lighthouse stood dark.\n\nShe climbed the stairs and"
    assert before.endswith("Mara walked the wet sand.\n\n")
    assert [p.kind for p in preview.assembled.parts] == [MEMORY, LORE, STORY, NOTE, STORY]
    # The same assembly and the same token ids as the engine's, counted by the server.
    assert preview.counting == SERVER_COUNTING
    tokenizer = server.engine.tokenizer
    local = StoryAssembler(lambda text: tokenizer(text)["input_ids"])
    assembled = local.assemble(TEXT, STORY_CONTEXT, params.context_tokens)
    assert assembled.text == received
    assert list(preview.prompt_ids) == list(assembled.ids)
    source.close()


def test_a_tight_budget_cuts_the_story_start_and_says_so(start_server: StartServer) -> None:
    server = start_server()
    source = RemoteSource(RemoteServer("mine", server.url + "/v1", preset="penwright"))
    source.load(remote_spec("mine"))
    long_text = "The waves rolled in again and again. " * 200 + "\n\nMara waited."
    params = GenerationParams(context_tokens=128, max_new_tokens=4, story=STORY_CONTEXT)
    preview = source.preview(long_text, params)
    assert preview.assembled.text.startswith(STORY_CONTEXT.memory)
    assert preview.assembled.text.endswith("Mara waited.")
    assert len(preview.prompt_ids) <= 128
    assert any(line.startswith("story: the first") for line in preview.assembled.cut)
    source.close()
