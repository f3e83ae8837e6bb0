"""RemoteSource: a TextSource that streams from an OpenAI-compatible server's /v1/completions.

vLLM, llama.cpp's servers, LM Studio, KoboldCpp, Ollama and Penwright's own server all speak it
(models.sources.presets says what each ignores). The source follows the TextSource contract of
models.sources.protocol: one owner thread; ``cancelled`` may be set from any thread, and the
stream then ends within POLL_S (models.sources.remote_stream), even while the server is silent.

What reaches the server: the budgeted context (after the prose opening when near-empty); with a
story (memory, author's note, lore) the context the local engine would assemble, by the same
StoryAssembler, its tokens counted by the server's tokenizer or an estimate
(models.sources.remote_tokens), which ``preview`` shows the context view;
max_tokens, temperature, top_p, and top_k, min_p, repetition penalty and seed where the preset
honours them, the custom stop strings (the first four, OpenAI's limit; all of them apply here
too), and n where the server returns several choices, else one request per alternative (seed
+ i, as the local engine seeds its alternatives). The text-level prose rules run here on what
comes back (models.sources.remote_text); distinct alternatives are held back until they differ
from the ones shown, and a duplicate is dropped.

Every failure raises RemoteError (models.sources.remote_errors) with one message for the writer.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from penwright.models.errors import EngineError, ParamsError
from penwright.models.params import GenerationParams, StopMode
from penwright.models.results import Delta, GenerationStats
from penwright.models.sources.remote_errors import (
    RemoteError,
    RemoteFailure,
    from_status,
    from_transport,
    malformed,
    network_error,
    stream_cut,
    unknown_model,
)
from penwright.models.sources.remote_spec import (
    REMOTE_PREFIX,
    RemoteServer,
    remote_source_name,
    remote_spec,
)
from penwright.models.sources.remote_stream import Cancelled, StreamedRequest
from penwright.models.sources.remote_text import (
    CHARS_PER_TOKEN,
    RemoteContinuation,
    budget_context,
    remote_prompt,
)
from penwright.models.sources.remote_tokens import RemoteTokens
from penwright.models.sources.sse import DONE, EventAssembler
from penwright.models.sources.token_align import TokenAligner, server_tokens
from penwright.models.spec import LoadProgress, ModelInfo, ModelSpec, ProgressCallback
from penwright.models.story.assembly import (
    AssembledContext,
    PromptPreview,
    StoryAssembler,
    plain_context,
)

__all__ = [
    "REMOTE_PREFIX",
    "RemoteServer",
    "RemoteSource",
    "list_models",
    "remote_source_name",
    "remote_spec",
]

MAX_SERVER_STOPS = 4  # OpenAI's API takes at most four stop strings
MAX_SERVER_LOGPROBS = 5  # and at most five alternatives per token


def list_models(server: RemoteServer, client: httpx.Client | None = None) -> list[dict[str, Any]]:
    """GET /models: the entries the server lists (each has at least an "id"). RemoteError on
    any failure. Used by load() and by the settings page's Test connection."""
    own = client is None
    client = client or _client(server)
    try:
        response = client.get(server.url("models"), headers=server.headers())
        if response.status_code >= 400:
            raise from_status(response, server.label, "")
        try:
            body = response.json()
        except ValueError:
            raise malformed(server.label, "its model list is not JSON") from None
    except httpx.TransportError as error:
        raise from_transport(error, server.label) from error
    except httpx.HTTPError as error:
        raise network_error(error, server.label) from error
    finally:
        if own:
            client.close()
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(m, dict) and "id" in m for m in data):
        raise malformed(server.label, "its model list has no data with model ids")
    return data


def _client(server: RemoteServer) -> httpx.Client:
    timeout = httpx.Timeout(
        connect=server.connect_timeout_s,
        read=server.read_timeout_s,
        write=server.connect_timeout_s,
        pool=server.connect_timeout_s,
    )
    # A server on this machine is reached directly: a proxy set for the web must not see the
    # writer's text on its way to localhost. Another host goes as the environment says (its
    # proxy, its SSL_CERT_FILE), as other programs on a team's network do.
    return httpx.Client(timeout=timeout, trust_env=not _loopback(server.base_url))


def _loopback(url: str) -> bool:
    host = httpx.URL(url).host if url.lower().startswith(("http://", "https://")) else ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _context_length(entry: dict[str, Any]) -> int:
    """What the model list says of the context: vLLM's max_model_len, llama.cpp's n_ctx_train,
    LM Studio's context_length; 0 when it says nothing."""
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    for value in (
        entry.get("max_model_len"),
        entry.get("context_length"),
        meta.get("n_ctx_train") if isinstance(meta, dict) else None,
    ):
        if isinstance(value, int) and value > 0:
            return value
    return 0


class RemoteSource:
    """A remote server's model as a TextSource. See the module docstring."""

    def __init__(
        self,
        server: RemoteServer,
        client: httpx.Client | None = None,
        key: Callable[[], str] | None = None,
    ) -> None:
        """``key``: asked for the API key at every request (the writer may fix a wrong one
        while connected); None uses ``server.api_key``."""
        self._server = server
        self._key = key
        self._client = client
        self._model = ""
        self._info: ModelInfo | None = None
        self._stats = GenerationStats()
        self._tokens: RemoteTokens | None = None
        self._assembler: StoryAssembler | None = None
        self.last_prompt = ""  # the prompt of the last request, as sent

    @property
    def server(self) -> RemoteServer:
        """The server with the key to use now."""
        if self._key is None:
            return self._server
        return dataclasses.replace(self._server, api_key=self._key())

    @property
    def reports_token_probabilities(self) -> bool:
        """Deltas carry TokenInfo when asked, if the server's kind reports logprobs."""
        return self._server.kind.logprobs

    @property
    def info(self) -> ModelInfo | None:
        return self._info

    @property
    def last_stats(self) -> GenerationStats:
        return self._stats

    def load(self, spec: ModelSpec, progress: ProgressCallback | None = None) -> ModelInfo:
        server = self.server
        if progress is not None:
            progress(LoadProgress(f"connecting to {server.base_url}", 10.0))
        client = self._client or _client(server)
        try:
            models = list_models(server, client)
        except BaseException:
            if self._client is None:
                client.close()
            raise
        ids = [str(m["id"]) for m in models]
        wanted = server.model or (ids[0] if ids else "")
        if not wanted:
            raise RemoteError(
                RemoteFailure.UNKNOWN_MODEL, f"{server.label} lists no models to write with."
            )
        if server.model and server.kind.checks_model and wanted not in ids:
            raise unknown_model(server.label, wanted, ids)
        entry = next((m for m in models if m["id"] == wanted), models[0] if models else {})
        self._client = client
        self._model = wanted
        self._tokens = RemoteTokens(client, lambda: self.server, wanted)
        self._assembler = StoryAssembler(self._tokens.encode)
        self._info = ModelInfo(
            name=wanted,
            source=spec.source,
            path=server.base_url,
            device="remote",
            precision=server.kind.label,
            parameters=0,
            context_length=_context_length(entry),
            decode_path="remote",
        )
        if progress is not None:
            progress(LoadProgress("connected", 100.0))
        return self._info

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self._info = None
        self._tokens = self._assembler = None

    # -- streaming ----------------------------------------------------------------------------

    def stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event
    ) -> Iterator[Delta]:
        if self._client is None or self._info is None:
            raise EngineError("no remote server is connected yet")
        if not isinstance(context, str):
            raise ParamsError(f"the context must be text, not {type(context).__name__}")
        if not isinstance(params, GenerationParams):
            raise ParamsError(f"params must be GenerationParams, not {type(params).__name__}")
        params.validate()
        return self._stream(context, params, cancelled)

    def preview(self, context: str, params: GenerationParams) -> PromptPreview:
        """What ``stream(context, params)`` would send, without sending it: the marked parts,
        what was cut, the prompt's token ids (placeholders when the count is an estimate) and
        which counting it used. Keeps the same sticky cut ``stream`` does."""
        if self._tokens is None or self._info is None:
            raise EngineError("no remote server is connected yet")
        params.validate()
        prompt, assembled, _text, opening = self._prompt(context, params)
        with _tokenizer_errors(self._server.label):
            ids = tuple(self._tokens.encode(prompt))
        return PromptPreview(assembled, ids, opening=opening, counting=self._tokens.counting)

    def _prompt(
        self, context: str, params: GenerationParams
    ) -> tuple[str, AssembledContext, str, str]:
        """The prompt to send, the parts it is made of, the text the prose rules read (the
        context, or the assembled story) and the prose opening put before it ("" if none):
        as the engine's _assemble and prepare_prompt."""
        assert self._assembler is not None and self._tokens is not None
        budget = self._budget(params)
        with _tokenizer_errors(self._server.label):
            if params.story is None or params.story.empty:
                text = context
                kept = budget_context(context, params.context_tokens * CHARS_PER_TOKEN)
                ids = self._tokens.encode(kept)
                special = len(self._tokens.encode(""))
                assembled = plain_context(context, len(context) - len(kept), ids, budget, special)
            else:
                assembled = self._assembler.assemble(context, params.story, budget)
                text = assembled.text
        prompt, opening = remote_prompt(text, assembled.text, params)
        return prompt, assembled, text, opening

    def _budget(self, params: GenerationParams) -> int:
        """The engine's budget: the context setting, within the server's context length less
        the new tokens where the server says it (else the setting alone)."""
        assert self._info is not None
        length = self._info.context_length
        room = length - params.max_new_tokens if length else params.context_tokens
        return max(1, min(params.context_tokens, room))

    def _stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event
    ) -> Iterator[Delta]:
        run = _Run(started=time.perf_counter())
        distinct = _Distinct(params.distinct, params.avoid)
        count = 1 if params.greedy and not params.distinct else params.n
        prompt, _assembled, context, _opening = self._prompt(context, params)
        self.last_prompt = prompt
        try:
            if self._server.kind.multiple_choices or count == 1:
                yield from self._request(
                    prompt, context, params, range(count), run, distinct, cancelled
                )
            else:  # one request per alternative, seeded apart as the engine seeds them
                for alternative in range(count):
                    one = range(alternative, alternative + 1)
                    yield from self._request(prompt, context, params, one, run, distinct, cancelled)
        except Cancelled:
            run.reason = "cancelled"
        finally:
            self._stats = run.stats()

    def _request(
        self,
        prompt: str,
        context: str,
        params: GenerationParams,
        alternatives: range,
        run: _Run,
        distinct: _Distinct,
        cancelled: threading.Event,
    ) -> Iterator[Delta]:
        """One HTTP request for ``alternatives`` (its choice i is alternatives[i])."""
        assert self._client is not None
        if cancelled.is_set():  # before a request is even sent (the next alternative's too)
            raise Cancelled
        server = self.server
        body = self._body(prompt, params, alternatives)
        continuations = {a: RemoteContinuation(context, params) for a in alternatives}
        # With logprobs asked for (and a server that reports them): each alternative's tokens.
        aligners = {a: TokenAligner() for a in alternatives} if "logprobs" in body else {}
        finished: set[int] = set()
        request = StreamedRequest(
            self._client,
            server.url("completions"),
            body,
            server.headers(),
            server.label,
            self._model,
            cancelled,
        )
        try:
            for piece in self._pieces(request, alternatives, finished):
                alternative, text, reason, logprobs = piece
                if aligners:
                    aligners[alternative].add(server_tokens(logprobs))
                continuation = continuations[alternative]
                if text:
                    run.token()
                new = continuation.push(text)
                if reason:
                    new += continuation.finish()
                    finished.add(alternative)
                    run.reason = run.reason or _reason(reason)
                if continuation.stopped and alternative not in finished:
                    finished.add(alternative)
                    run.reason = "stop"
                offered = distinct.offer(alternative, new, done=alternative in finished)
                yield from _with_tokens(offered, aligners.get(alternative), alternative in finished)
                if len(finished) == len(alternatives):
                    return  # every alternative ended here: the rest of the stream is not read
        finally:
            request.close()
        for alternative in alternatives:  # the stream ended without saying why: end them here
            if alternative not in finished:
                offered = distinct.offer(
                    alternative, continuations[alternative].finish(), done=True
                )
                yield from _with_tokens(offered, aligners.get(alternative), True)

    def _pieces(
        self, request: StreamedRequest, alternatives: range, finished: set[int]
    ) -> Iterator[tuple[int, str, str, object]]:
        """(alternative, text, finish reason or "", its logprobs object or None) for each
        choice in each event."""
        label = self._server.label
        events = EventAssembler()
        done = False
        lines = request.lines()
        for line in lines:
            kind = request.content_type.lower()
            if "event-stream" not in kind:
                if "json" not in kind:
                    raise malformed(label, f"it answered with {kind or 'no content type'}")
                # A server that ignored stream: true answers with one JSON completion.
                yield from self._choices(_json(label, "\n".join([line, *lines])), alternatives)
                return
            for data in events.feed(line):
                if data.strip() == DONE:
                    done = True
                    break
                yield from self._choices(_json(label, data), alternatives)
            if done:
                break
        for data in events.close():
            if data.strip() != DONE:
                yield from self._choices(_json(label, data), alternatives)
        if not done and len(finished) < len(alternatives):
            raise stream_cut(label)

    def _choices(
        self, event: dict[str, Any], alternatives: range
    ) -> Iterator[tuple[int, str, str, object]]:
        label = self._server.label
        if "error" in event:  # an error event in the middle of the stream
            detail = event["error"]
            message = detail.get("message", detail) if isinstance(detail, dict) else detail
            raise RemoteError(
                RemoteFailure.SERVER_ERROR, f"{label} failed while writing: {message}"
            )
        choices = event.get("choices")
        if not isinstance(choices, list):
            raise malformed(label, "an event has no choices")
        for choice in choices:
            if not isinstance(choice, dict):
                raise malformed(label, "a choice is not an object")
            index = choice.get("index", 0)
            text = choice.get("text")
            if text is None:  # chat-style servers put it in delta.content
                delta = choice.get("delta")
                text = delta.get("content") if isinstance(delta, dict) else ""
            if not isinstance(index, int) or not 0 <= index < len(alternatives):
                raise malformed(label, f"a choice has the index {index!r}")
            if not isinstance(text, str):
                raise malformed(label, "a choice's text is not text")
            reason = choice.get("finish_reason") or ""
            yield alternatives[index], text, str(reason), choice.get("logprobs")

    def _body(self, prompt: str, params: GenerationParams, alternatives: range) -> dict[str, Any]:
        kind = self._server.kind
        ignores = kind.ignores
        body: dict[str, Any] = {
            "model": self._model,
            "prompt": prompt,
            "max_tokens": params.max_new_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stream": True,
        }
        if params.top_k and "top_k" not in ignores:
            body["top_k"] = params.top_k
        if params.min_p and "min_p" not in ignores:
            body["min_p"] = params.min_p
        if params.repetition_penalty != 1.0 and "repetition_penalty" not in ignores:
            body[kind.repetition_field] = params.repetition_penalty
        if params.seed is not None and "seed" not in ignores:
            body["seed"] = (params.seed + alternatives.start) % 2**63
        if len(alternatives) > 1:
            body["n"] = len(alternatives)
        if params.top_alternatives and kind.logprobs:
            body["logprobs"] = min(params.top_alternatives, MAX_SERVER_LOGPROBS)
        stops = list(params.stop_strings)
        if params.stop is StopMode.PARAGRAPH:
            stops.append("\n\n")  # the scanner ends it there too; the server need not go on
        if stops:
            body["stop"] = stops[:MAX_SERVER_STOPS]
        return body


def _with_tokens(
    deltas: Iterator[Delta], aligner: TokenAligner | None, done: bool
) -> Iterator[Delta]:
    """deltas with the server's tokens for their text, when it reported them."""
    for delta in deltas:
        if aligner is None:
            yield delta
        else:
            yield dataclasses.replace(delta, tokens=aligner.take(delta.text, done))


@contextmanager
def _tokenizer_errors(label: str) -> Iterator[None]:
    """The failures of the server's tokenizer endpoint as RemoteError, in the writer's words."""
    try:
        yield
    except httpx.TransportError as error:
        raise from_transport(error, label) from error
    except httpx.HTTPError as error:
        raise network_error(error, label) from error
    except ValueError as error:
        raise malformed(label, str(error)) from error


def _json(label: str, data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise malformed(label, f"an event is not JSON: {data[:60]!r}") from None
    if not isinstance(value, dict):
        raise malformed(label, "an event is not a JSON object")
    return value


def _reason(finish_reason: str) -> str:
    """The server's finish_reason in the engine's words."""
    return {"length": "length", "stop": "eos"}.get(finish_reason, finish_reason)


@dataclass
class _Run:
    """The figures of one request, for last_stats."""

    started: float
    first: float = 0.0
    tokens: int = 0
    reason: str = ""

    def token(self) -> None:
        # One event carries one token on every server here; the count is theirs, not ours.
        if not self.first:
            self.first = time.perf_counter()
        self.tokens += 1

    def stats(self) -> GenerationStats:
        now = time.perf_counter()
        decode_s = now - self.first if self.first else 0.0
        return GenerationStats(
            new_tokens=self.tokens,
            time_to_first_token_s=(self.first - self.started) if self.first else 0.0,
            decode_tokens_per_s=(self.tokens - 1) / decode_s
            if self.tokens > 1 and decode_s
            else 0.0,
            total_s=now - self.started,
            cancelled=self.reason == "cancelled",
            stop_reason=self.reason,
        )


class _Distinct:
    """Numbers the alternatives as they become distinct: alternative i shows once its text has
    parted from every one shown (and every ``avoid``); one that never parts is dropped."""

    def __init__(self, enabled: bool, avoid: tuple[str, ...]) -> None:
        self._enabled = enabled
        self._avoid = [a.strip() for a in avoid if a.strip()]
        self._texts: dict[int, str] = {}
        self._shown: dict[int, int] = {}  # the server's alternative -> the index shown

    def offer(self, alternative: int, new: str, done: bool) -> Iterator[Delta]:
        text = self._texts.get(alternative, "") + new
        self._texts[alternative] = text
        if alternative in self._shown:
            if new:
                yield Delta(self._shown[alternative], new)
            return
        if not text.strip():
            return
        if self._enabled and not self._parted(alternative, text.strip(), done):
            return
        self._shown[alternative] = len(self._shown)
        yield Delta(self._shown[alternative], text)

    def _parted(self, alternative: int, text: str, done: bool) -> bool:
        others = [self._texts[a].strip() for a in self._shown] + self._avoid
        if done:
            return text not in others
        return not any(other.startswith(text) or text.startswith(other) for other in others)
