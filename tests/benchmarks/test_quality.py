"""The quality benchmark: its scoring and table on made-up continuations, its two
configurations, and one short run end to end on the real default model.

Speed is never asserted: the run only has to print every metric row with figures in it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from penwright.benchmarks.quality import (
    ALTERNATIVES,
    METRIC_ROWS,
    Sample,
    Scores,
    format_table,
    params_for,
    score,
    seed_for,
)
from penwright.benchmarks.quality_corpus import Prompt
from penwright.benchmarks.quality_metrics import Rate

ROOT = Path(__file__).resolve().parents[2]

PROMPTS = [
    Prompt("w", "en", "mid_word", "Outside, the wind rattl", partial="rattl"),
    Prompt("z", "zh", "mid_word", "\u5439\u5f97\u6728\u95e8\u5431", partial="\u5431"),
    Prompt("d", "en", "dialogue", 'She turned. "Wait'),
    Prompt("l", "en", "long_document", "one two three four five six seven eight nine ten"),
    Prompt("m", "en", "mid_paragraph", "She had always", text_after=" wanted to go."),
]


def words(text: str) -> list[int]:
    """A stand-in tokenizer: one token per whitespace-separated word."""
    return [hash(word) for word in text.split()]


def known(word: str) -> bool:
    return word.lower() in {"rattled", "rattle"}


def test_scores_count_each_metric_over_the_continuations_that_it_applies_to() -> None:
    samples = [
        Sample("w", "plain", 0.8, ["led on", "ed on", "ed on"], decode_tokens_per_s=40.0),
        Sample("z", "plain", 0.8, ["\u5431\u4f5c\u54cd", "<p>"], decode_tokens_per_s=20.0),
        Sample("d", "plain", 0.8, [" for me.", ' for me."', "&nbsp;"]),  # no decode step: 0
        Sample("l", "plain", 0.8, [" two three four five six seven eight nine and"]),
        Sample("m", "plain", 0.8, [], error="GenerationError: out of memory"),
    ]
    scores = score(PROMPTS, samples, words, known)
    assert scores.markup == Rate(2, 9)  # "<p>" and "&nbsp;"
    assert scores.broken_words == Rate(1, 3)  # English mid-word only: "rattlled"
    assert scores.copies == Rate(1, 9)  # "two ... nine": eight words of the context
    assert scores.unclosed_quotes == Rate(1, 2)  # " for me." leaves "Wait open
    assert scores.duplicates == Rate(1, 9)  # the second "ed on"
    assert scores.tokens_per_s == pytest.approx(30.0)
    assert scores.alternatives == pytest.approx(9 / 4)
    assert (scores.requests, scores.failed) == (5, 1)


def test_the_two_configurations_differ_only_in_the_rules_and_text_after() -> None:
    prompt = PROMPTS[4]
    configs = params_for(prompt)
    plain, pipeline = configs["plain"], configs["pipeline"]
    assert pipeline.n == plain.n == ALTERNATIVES
    assert pipeline.seed == plain.seed == seed_for(prompt) == seed_for(PROMPTS[4])
    assert pipeline.text_after == " wanted to go." and plain.text_after == ""
    assert pipeline.heal and pipeline.prose and pipeline.distinct and pipeline.dialogue
    assert pipeline.no_copy_tokens > 0
    assert not (plain.heal or plain.prose or plain.distinct or plain.dialogue)
    assert plain.no_copy_tokens == 0
    assert (plain.temperature, plain.top_k, plain.max_new_tokens, plain.stop) == (
        pipeline.temperature, pipeline.top_k, pipeline.max_new_tokens, pipeline.stop,
    )  # fmt: skip
    greedy = params_for(prompt, 0.0)
    assert greedy["plain"].temperature == greedy["pipeline"].temperature == 0.0
    assert seed_for(PROMPTS[0]) != seed_for(PROMPTS[1])


def scores(duplicates: Rate, tokens_per_s: float, alternatives: float = 3.0) -> Scores:
    return Scores(
        markup=Rate(0, 10), broken_words=Rate(1, 50), copies=Rate(3, 10),
        unclosed_quotes=Rate(), duplicates=duplicates, tokens_per_s=tokens_per_s,
        alternatives=alternatives,
    )  # fmt: skip


def test_the_table_has_a_row_per_metric_with_plain_pipeline_target_and_whether_it_is_met() -> None:
    sampled = {"plain": scores(Rate(2, 9), 40.0), "pipeline": scores(Rate(0, 9), 38.0)}
    greedy = {"plain": scores(Rate(0, 3), 41.0, 1.0), "pipeline": scores(Rate(1, 9), 37.0)}
    lines = format_table(sampled, greedy, ["a header line"]).splitlines()
    assert lines[0] == "a header line"
    assert lines[1].split() == ["metric", "plain", "pipeline", "target", "met"]
    body = lines[3 : 3 + len(METRIC_ROWS)]
    assert [line[:40].strip() for line in body] == list(METRIC_ROWS)
    row = dict(zip(METRIC_ROWS, body, strict=True))
    assert row["markup in prose documents"].endswith("0%        yes")
    assert row["broken words at mid-word cursors"].split()[-4:] == ["(1/50)", "<=", "2%", "yes"]
    assert row["verbatim copies (>= 8 tokens)"].endswith("NO")  # 30% > 5%
    assert "n/a (0 cases)" in row["unclosed quotes at sentence stops"]
    assert row["duplicate alternatives (n=3)"].split()[-6:] == [
        "22.2%", "(2/9)", "0.0%", "(0/9)", "0%", "yes",
    ]  # fmt: skip
    assert row["decode tokens/s"].split()[-4:] == ["40.0", "38.0", "-", "-"]
    assert row["speed pipeline/plain"].split()[-5:] == ["1.00", "0.95", ">=", "0.90", "yes"]
    assert row["duplicate alternatives, temperature 0"].endswith("NO")
    assert row["alternatives returned, temperature 0"].split()[-10:] == [
        "1.0", "of", "3", "3.0", "of", "3", "3", "of", "3", "yes",
    ]  # fmt: skip
    notes = lines[3 + len(METRIC_ROWS) :]
    assert any("plain at temperature 0 returns 1.00 of 3" in n for n in notes)
    assert not any("pipeline at temperature 0" in n for n in notes)


def test_without_a_greedy_pass_the_table_stops_after_the_speed_rows() -> None:
    sampled = {"plain": scores(Rate(0, 9), 40.0), "pipeline": scores(Rate(0, 9), 30.0)}
    text = format_table(sampled, None)
    assert "speed pipeline/plain" in text and "temperature 0" not in text
    assert text.splitlines()[2 + METRIC_ROWS.index("speed pipeline/plain")].endswith("NO")


@pytest.mark.real_model
def test_a_short_real_run_prints_every_metric_for_plain_and_pipeline(tmp_path: Path) -> None:
    report = tmp_path / "quality.json"
    command = [
        sys.executable, "-m", "penwright.cli", "quality", "--limit", "3", "--json", str(report),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("quality: 3 prompts (")
    assert any(line.startswith("model: ") and "CPU: " in line for line in lines)
    for label in METRIC_ROWS:
        row = next((line for line in lines if line.startswith(label)), None)
        assert row is not None, f"no row {label!r} in\n{done.stdout}"
        assert len(row[40:].split()) >= 4, row  # plain, pipeline, target, met
    data = json.loads(report.read_text(encoding="utf-8"))
    samples = data["samples"]
    # Three prompts, both configurations, the sampled and the temperature-0 pass.
    assert len(samples) == 3 * 2 * 2
    assert not any(s["error"] for s in samples)
    sampled = [s for s in samples if s["temperature"] > 0]
    assert all(len(s["texts"]) >= 1 for s in sampled)
    assert all(isinstance(s["decode_tokens_per_s"], float) for s in sampled)  # recorded
    assert data["sampled"]["plain"]["requests"] == data["sampled"]["pipeline"]["requests"] == 3
    # The first three prompts of the spread begin with a mid-word one: broken words are scored.
    assert data["sampled"]["plain"]["broken_words"]["total"] >= 1
