"""How long training will take on this machine, from the speed of earlier runs here."""

from __future__ import annotations

import statistics

from penwright.models.training.styles import list_styles

FIRST_RUN_TOKENS_PER_SECOND = 16.0
"""Before any run on this machine: what style_bench measured for the default model on a shared
2-core CPU (bf16 autocast, load average about 8): a cautious guess for a first run; later runs
use this machine's own speed."""
EVALUATION_SECONDS = 60.0  # loading the model, and measuring it before and after


def tokens_per_second(base: str) -> tuple[float, bool]:
    """The median training speed of this machine's earlier styles on ``base``, and whether it
    was measured here (False: the first-run guess)."""
    speeds = [
        float(s.meta["figures"]["tokens_per_second"])
        for s in list_styles()
        if s.base_source == base and s.meta.get("figures", {}).get("tokens_per_second")
    ]
    if not speeds:
        return FIRST_RUN_TOKENS_PER_SECOND, False
    return statistics.median(speeds), True


def estimated_seconds(tokens: int, epochs: int, base: str, max_minutes: float) -> float:
    speed, _measured = tokens_per_second(base)
    training = min(tokens * 0.9 * epochs / speed, max_minutes * 60.0)  # 90%: held out 10%
    return training + EVALUATION_SECONDS


def describe_duration(seconds: float) -> str:
    minutes = round(seconds / 60.0)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    return f"about {seconds / 3600.0:.1f} hours"
