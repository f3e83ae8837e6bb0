"""The OpenAI request bodies Penwright accepts, and their translation into GenerationParams.

Requests are plain sampling, as other programs expect: the prose rules (healing, no markup, no
copies, distinct alternatives) are off, and there is no stop besides ``stop`` strings, the end of
text and ``max_tokens``. A prompt longer than the model's context keeps its end (the engine's
context window), as llama.cpp's server does.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from penwright.models.errors import ParamsError
from penwright.models.params import LIMITS, GenerationParams, StopMode
from penwright.models.serving.config import ServeLimits
from penwright.models.serving.logprobs import MAX_TOP_LOGPROBS
from penwright.models.serving.owner import ServedModel

MAX_STOP_STRINGS = 4  # OpenAI's own limit


class BadRequest(Exception):
    """A request Penwright refuses; ``param`` names the field at fault (OpenAI's error shape)."""

    def __init__(self, message: str, param: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.param = param
        self.status = status


class StreamOptions(BaseModel):
    include_usage: bool = False


class _Sampling(BaseModel):
    """The fields completions and chat completions share. Unknown fields are ignored (clients
    send their own extras); known ones Penwright cannot honour are refused by name."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = None
    max_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    repetition_penalty: float = 1.0
    stop: str | list[str] | None = None
    n: int = 1
    seed: int | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    logit_bias: dict[str, float] | None = None
    user: str | None = None


class CompletionBody(_Sampling):
    prompt: str | list[str] = ""
    logprobs: int | None = None
    echo: bool = False
    suffix: str | None = None
    best_of: int | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str


class ChatBody(_Sampling):
    messages: list[ChatMessage]
    max_completion_tokens: int | None = None
    logprobs: bool = False


class TokenizeBody(BaseModel):
    """POST /tokenize, as llama-server takes it (its other fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    content: str


@dataclass(frozen=True)
class Asked:
    """A checked request: what to continue and how."""

    context: str
    params: GenerationParams
    logprobs: int | None = None
    messages: tuple[dict[str, str], ...] | None = None


def completion_request(body: CompletionBody, model: ServedModel, limits: ServeLimits) -> Asked:
    """Check a /v1/completions body against the model and the limits; raise BadRequest."""
    _check_model(body, model)
    prompt = body.prompt
    if isinstance(prompt, list):
        if len(prompt) != 1:
            raise BadRequest("give one prompt per request (a list of exactly one text)", "prompt")
        prompt = prompt[0]
    if len(prompt) > limits.max_prompt_chars:
        raise BadRequest(
            f"the prompt is {len(prompt):,} characters long; this server takes at most "
            f"{limits.max_prompt_chars:,}",
            "prompt",
        )
    if body.echo:
        raise BadRequest("echo is not supported: the prompt is yours already", "echo")
    if body.suffix:
        raise BadRequest("suffix (insertion) is not supported by this model", "suffix")
    if body.best_of is not None and body.best_of != body.n:
        raise BadRequest("best_of is not supported: ask for n choices instead", "best_of")
    logprobs = body.logprobs
    if logprobs is not None:
        if not 0 <= logprobs <= MAX_TOP_LOGPROBS:
            raise BadRequest(
                f"logprobs must be between 0 and {MAX_TOP_LOGPROBS}, not {logprobs}", "logprobs"
            )
        if not model.logprobs:
            raise BadRequest("this model's source cannot report token probabilities", "logprobs")
    params = _params(body, body.max_tokens if body.max_tokens is not None else 16, model, limits)
    return Asked(prompt, params, logprobs)


def chat_request(body: ChatBody, model: ServedModel, limits: ServeLimits) -> Asked:
    """Check a /v1/chat/completions body; a model without a chat template is refused."""
    _check_model(body, model)
    if not model.chat:
        raise BadRequest(
            f"the loaded model ({model.id}) is a base model without a chat template, so it "
            "cannot chat; send text to continue to /v1/completions instead",
            "messages",
        )
    if not body.messages:
        raise BadRequest("messages must hold at least one message", "messages")
    if sum(len(m.content) for m in body.messages) > limits.max_prompt_chars:
        raise BadRequest(
            f"the messages are longer than the {limits.max_prompt_chars:,} characters this "
            "server takes",
            "messages",
        )
    if body.logprobs:
        raise BadRequest("logprobs are reported by /v1/completions only", "logprobs")
    asked = (
        body.max_completion_tokens if body.max_completion_tokens is not None else body.max_tokens
    )
    params = _params(body, asked if asked is not None else limits.max_tokens, model, limits)
    messages = tuple({"role": m.role, "content": m.content} for m in body.messages)
    return Asked("", params, None, messages)


def _check_model(body: _Sampling, model: ServedModel) -> None:
    # A request names a model only to choose among loaded ones: never a path to load.
    if body.model not in (None, "", model.id):
        raise BadRequest(
            f"the model {body.model!r} is not served here; this server serves {model.id!r}",
            "model",
            404,
        )


def _params(
    body: _Sampling, max_tokens: int, model: ServedModel, limits: ServeLimits
) -> GenerationParams:
    if not 1 <= max_tokens <= limits.max_tokens:
        raise BadRequest(
            f"max_tokens must be between 1 and {limits.max_tokens} on this server, "
            f"not {max_tokens}",
            "max_tokens",
        )
    if body.presence_penalty or body.frequency_penalty:
        raise BadRequest(
            "presence_penalty and frequency_penalty are not supported: use repetition_penalty",
            "presence_penalty" if body.presence_penalty else "frequency_penalty",
        )
    if body.logit_bias:
        raise BadRequest("logit_bias is not supported", "logit_bias")
    stops = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    if len(stops) > MAX_STOP_STRINGS or not all(stops):
        raise BadRequest(f"stop takes at most {MAX_STOP_STRINGS} non-empty strings", "stop")
    n_limit = LIMITS["n"]
    if not n_limit.low <= body.n <= n_limit.high:
        raise BadRequest(f"n must be between {n_limit.span()}, not {body.n}", "n")
    context_high = int(LIMITS["context_tokens"].high)
    try:
        return GenerationParams(
            temperature=body.temperature,
            top_k=body.top_k,
            top_p=body.top_p,
            min_p=body.min_p,
            repetition_penalty=body.repetition_penalty,
            max_new_tokens=max_tokens,
            stop=StopMode.CUSTOM if stops else StopMode.NONE,
            stop_strings=tuple(stops),
            seed=body.seed,
            n=body.n,
            context_tokens=max(64, min(context_high, model.info.context_length)),
        ).plain()
    except ParamsError as error:
        raise BadRequest(str(error)) from None
