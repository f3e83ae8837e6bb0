"""Which tokens a strided perplexity evaluation feeds and scores, window by window.

Kept apart from ``perplexity`` (and free of torch) so that any evaluator scores the same tokens
with the same context: the engine's (models/generation/perplexity.py) and the benchmark's
llama.cpp anchor, whose child process must not load torch (its peak RSS is llama.cpp's own).
"""

from __future__ import annotations

DEFAULT_WINDOW = 512
DEFAULT_STRIDE = 256


def scored_spans(
    length: int, window: int = DEFAULT_WINDOW, stride: int = DEFAULT_STRIDE
) -> list[tuple[int, int, int]]:
    """(begin, first_scored, end) per window over ``length`` tokens: the window feeds tokens
    [begin, end) and scores positions [first_scored, end), each predicted from the positions
    before it. Every position but 0 (which has no context) is scored exactly once, and after the
    first window with at least ``window - stride`` tokens of context."""
    if not 0 < stride <= window:
        raise ValueError(f"need 0 < stride <= window, got stride {stride}, window {window}")
    spans: list[tuple[int, int, int]] = []
    scored_until = 1
    begin = 0
    while scored_until < length:
        end = min(begin + window, length)
        spans.append((begin, scored_until, end))
        scored_until = end
        begin += stride
    return spans
