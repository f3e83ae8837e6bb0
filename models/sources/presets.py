"""The OpenAI-compatible servers Penwright knows: where they listen and what they ignore.

Every one serves ``POST {base_url}/completions`` (server-sent events with ``stream: true``) and
``GET {base_url}/models``. They differ in which sampling settings that endpoint honours, and in
whether it can return several choices (``n``) in one request; where it cannot, the remote source
asks once per alternative. The table is what the settings page shows ("this server ignores ...").

Checked against each server's documentation of its OpenAI-compatible completions endpoint
(vLLM 0.6+, llama.cpp's llama-server, llama-cpp-python's server, LM Studio 0.3, KoboldCpp 1.7x,
Ollama 0.3+).
"""

from __future__ import annotations

from dataclasses import dataclass

SAMPLING_SETTINGS = ("temperature", "top_p", "top_k", "min_p", "repetition_penalty", "seed")
"""The generation settings a server may or may not honour (max tokens and stop strings every
OpenAI-compatible server honours)."""

CLIENT_LIMITS = {
    "heal": "token healing needs the model's own tokens: a half-typed word is continued as the "
    "server sees it",
    "no_copy": "no-verbatim-copies needs the model's tokens: it is not applied",
    "text_after": "ranking by the text after the cursor needs the model's scores: alternatives "
    "come in the server's order",
}
"""Prose rules that work on the model's tokens and so cannot reach a remote model. The text-level
ones (sentence and paragraph stops with dialogue, no markup, the prose opening of a near-empty
text, distinct alternatives, the context budget) are applied by the remote source itself."""

CLIENT_RULES_SUMMARY = (
    "Token healing, no verbatim copies and ranking by the text after the cursor need the local "
    "model's tokens; sentence and paragraph stops, dialogue, no markup and distinct alternatives "
    "apply to every server."
)
"""CLIENT_LIMITS in one sentence, for the settings page."""


@dataclass(frozen=True)
class ServerPreset:
    """One kind of server: its usual address and what its completions endpoint ignores."""

    key: str
    label: str
    base_url: str
    ignores: frozenset[str] = frozenset()
    multiple_choices: bool = True  # honours n > 1 in one request
    # Streams OpenAI "logprobs" per event when asked: the confidence tint and word swaps then
    # work on its suggestions too. Servers not known to do so are not asked (some refuse).
    logprobs: bool = False
    # The body field the server reads for repetition_penalty (OpenAI's API has none).
    repetition_field: str = "repetition_penalty"
    # Whether the model id must be one the server lists; servers of one model take any name.
    checks_model: bool = True
    model_hint: str = ""  # what to put in "model id"
    # The server's own tokenizer, for the story context's token counts: a POST path from the
    # server's root (not under /v1) and the body field that carries the text; "" = none known.
    tokenize_path: str = ""
    tokenize_field: str = ""
    serve_command: str = ""  # how to start it, for the README and the page's tooltip

    def ignored(self) -> tuple[str, ...]:
        """The ignored settings in the order the Generation page lists them."""
        ignored = [name for name in SAMPLING_SETTINGS if name in self.ignores]
        if not self.multiple_choices:
            ignored.append("n")  # not ignored, asked for one by one: see describe_ignored
        return tuple(ignored)

    def describe_ignored(self) -> str:
        """One sentence for the settings page."""
        parts = []
        settings = [name for name in SAMPLING_SETTINGS if name in self.ignores]
        if settings:
            parts.append(f"{self.label} ignores {', '.join(settings)}")
        else:
            parts.append(f"{self.label} honours every sampling setting")
        if not self.multiple_choices:
            parts.append("it returns one alternative per request, so each is asked for apart")
        return "; ".join(parts) + "."


PRESETS: dict[str, ServerPreset] = {
    preset.key: preset
    for preset in (
        ServerPreset(
            "vllm",
            "vLLM",
            "http://127.0.0.1:8000/v1",
            logprobs=True,
            tokenize_path="tokenize",
            tokenize_field="prompt",
            model_hint="the name given to vllm serve, e.g. google/gemma-3-1b-pt",
            serve_command="vllm serve google/gemma-3-1b-pt --host 127.0.0.1 --port 8000",
        ),
        ServerPreset(
            "llama-server",
            "llama.cpp server",
            "http://127.0.0.1:8080/v1",
            multiple_choices=False,
            checks_model=False,
            repetition_field="repeat_penalty",
            tokenize_path="tokenize",
            tokenize_field="content",
            model_hint="any name: llama-server serves the one model it was started with",
            serve_command="llama-server -m model.gguf --host 127.0.0.1 --port 8080",
        ),
        ServerPreset(
            "llama-cpp-python",
            "llama-cpp-python server",
            "http://127.0.0.1:8000/v1",
            multiple_choices=False,
            checks_model=False,
            repetition_field="repeat_penalty",
            tokenize_path="extras/tokenize",
            tokenize_field="input",
            model_hint="the --model path, or the alias given with --model_alias",
            serve_command="python -m llama_cpp.server --model model.gguf --port 8000",
        ),
        ServerPreset(
            "lm-studio",
            "LM Studio",
            "http://127.0.0.1:1234/v1",
            ignores=frozenset({"min_p"}),
            multiple_choices=False,
            repetition_field="repeat_penalty",
            model_hint="the model's identifier in LM Studio's Developer tab",
        ),
        ServerPreset(
            "koboldcpp",
            "KoboldCpp",
            "http://127.0.0.1:5001/v1",
            ignores=frozenset({"seed"}),
            multiple_choices=False,
            checks_model=False,
            repetition_field="rep_pen",
            model_hint="any name: KoboldCpp serves the one model it was started with",
            serve_command="koboldcpp --model model.gguf --port 5001",
        ),
        ServerPreset(
            "ollama",
            "Ollama",
            "http://127.0.0.1:11434/v1",
            ignores=frozenset({"top_k", "min_p", "repetition_penalty"}),
            multiple_choices=False,
            model_hint="an Ollama model name, e.g. gemma3:1b",
            serve_command="ollama serve   (then: ollama pull gemma3:1b)",
        ),
        ServerPreset(
            "openai",
            "OpenAI-compatible server",
            "http://127.0.0.1:8000/v1",
            # The OpenAI API itself has none of these; compatible servers often add them.
            ignores=frozenset({"top_k", "min_p", "repetition_penalty"}),
            model_hint="the id its /v1/models lists",
        ),
        ServerPreset(
            "penwright",
            "Penwright server",
            "http://127.0.0.1:8765/v1",
            tokenize_path="tokenize",
            tokenize_field="content",
            model_hint="the id penwright-cli serve lists",
            serve_command="penwright-cli serve --port 8765",
        ),
    )
}

DEFAULT_PRESET = "openai"


def preset(key: str) -> ServerPreset:
    """The preset named key; an unknown key (a settings file from a newer version) is the
    generic OpenAI-compatible one, which assumes the least."""
    return PRESETS.get(key, PRESETS[DEFAULT_PRESET])
