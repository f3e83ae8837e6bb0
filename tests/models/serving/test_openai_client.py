"""Penwright's server with the official ``openai`` client: completions streamed and not, n,
stop, seed and logprobs, the models list, and the chat endpoint's answer for a base model."""

from __future__ import annotations

import openai
import pytest
from served import RunningServer, StartServer

from penwright.models.params import GenerationParams, StopMode


def client(server: RunningServer, key: str = "none") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=key, max_retries=0, timeout=60)


def engine_text(server: RunningServer, prompt: str, max_tokens: int) -> str:
    """What the engine itself continues ``prompt`` with, greedily and without prose rules."""
    params = GenerationParams(
        temperature=0.0, max_new_tokens=max_tokens, stop=StopMode.NONE, context_tokens=4096
    ).plain()
    server.engine.gate.set()
    # The owner thread is idle between requests; the test waits for its answer first.
    return "".join(delta.text for delta in server.engine.stream(prompt, params))


def test_models_lists_the_served_model(server: RunningServer) -> None:
    models = client(server).models.list()
    assert [m.id for m in models.data] == ["tiny"]


def test_completion_is_the_engines_greedy_text(server: RunningServer) -> None:
    answer = client(server).completions.create(
        model="tiny", prompt="The lighthouse keeper", max_tokens=12, temperature=0
    )
    expected = engine_text(server, "The lighthouse keeper", 12)
    assert answer.choices[0].text == expected
    assert answer.choices[0].finish_reason in ("length", "stop")
    assert answer.usage is not None and answer.usage.completion_tokens <= 12


def test_streamed_pieces_add_up_to_the_whole_answer(server: RunningServer) -> None:
    api = client(server)
    whole = api.completions.create(model="tiny", prompt="Once", max_tokens=10, temperature=0)
    pieces = []
    finish = None
    for chunk in api.completions.create(
        model="tiny", prompt="Once", max_tokens=10, temperature=0, stream=True
    ):
        for choice in chunk.choices:
            pieces.append(choice.text)
            finish = choice.finish_reason or finish
    assert "".join(pieces) == whole.choices[0].text
    assert finish == whole.choices[0].finish_reason


def test_n_gives_that_many_choices_each_repeatable_by_seed(server: RunningServer) -> None:
    api = client(server)
    asked = {"model": "tiny", "prompt": "Rain", "max_tokens": 8, "temperature": 1.0, "seed": 7}
    first = api.completions.create(n=3, **asked)
    again = api.completions.create(n=3, **asked)
    assert sorted(c.index for c in first.choices) == [0, 1, 2]
    assert [c.text for c in first.choices] == [c.text for c in again.choices]
    streamed: dict[int, str] = {}
    for chunk in api.completions.create(n=3, stream=True, **asked):
        for choice in chunk.choices:
            streamed[choice.index] = streamed.get(choice.index, "") + choice.text
    assert [streamed[i] for i in range(3)] == [c.text for c in first.choices]


def test_stop_string_ends_the_text_before_it(server: RunningServer) -> None:
    api = client(server)
    free = api.completions.create(model="tiny", prompt="A", max_tokens=20, temperature=0)
    text = free.choices[0].text
    stop = text[len(text) // 2 :][:2]
    if not stop.strip():
        pytest.skip("the tiny model's text has no usable stop string")
    stopped = api.completions.create(
        model="tiny", prompt="A", max_tokens=20, temperature=0, stop=[stop]
    )
    assert stopped.choices[0].text == text[: text.index(stop)]
    assert stopped.choices[0].finish_reason == "stop"


def test_logprobs_give_each_tokens_top_alternatives(server: RunningServer) -> None:
    answer = client(server).completions.create(
        model="tiny", prompt="The sea", max_tokens=6, temperature=0, logprobs=3
    )
    choice = answer.choices[0]
    logprobs = choice.logprobs
    assert logprobs is not None and logprobs.tokens and logprobs.top_logprobs
    assert "".join(logprobs.tokens) == choice.text
    assert len(logprobs.token_logprobs) == len(logprobs.tokens) == len(logprobs.top_logprobs)
    for token, chosen, top in zip(
        logprobs.tokens, logprobs.token_logprobs, logprobs.top_logprobs, strict=True
    ):
        assert len(top) == 3 and chosen <= 0.0
        # Greedy: the chosen token is the likeliest one.
        assert max(top.values()) == pytest.approx(chosen, abs=1e-4)
        assert token in top
    assert logprobs.text_offset[0] == len("The sea")


def test_chat_with_a_base_model_says_it_has_no_template(server: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client(server).chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "Hello"}]
        )
    assert "chat template" in str(refused.value)


def test_chat_with_a_template_answers_streamed_and_not(start_server: StartServer) -> None:
    template = (
        "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}assistant:{% endif %}"
    )
    server = start_server(chat_template=template)
    api = client(server)
    messages = [{"role": "user", "content": "Write a line about rain."}]
    whole = api.chat.completions.create(
        model="tiny", messages=messages, max_tokens=8, temperature=0
    )
    assert whole.choices[0].message.role == "assistant"
    assert server.engine.contexts[-1] == "user: Write a line about rain.\nassistant:"
    pieces = [
        chunk.choices[0].delta.content or ""
        for chunk in api.chat.completions.create(
            model="tiny", messages=messages, max_tokens=8, temperature=0, stream=True
        )
        if chunk.choices
    ]
    assert "".join(pieces) == whole.choices[0].message.content


def test_an_unknown_model_id_is_a_404_not_a_load(server: RunningServer) -> None:
    with pytest.raises(openai.NotFoundError) as refused:
        client(server).completions.create(model="/etc/passwd", prompt="x", max_tokens=2)
    assert "not served here" in str(refused.value)
    assert len(server.engine.contexts) == 0
