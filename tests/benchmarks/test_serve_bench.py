"""The serving benchmark's table and percentiles (its figures come from a real run only)."""

from __future__ import annotations

from penwright.benchmarks.serve_bench import Round, _percentile, format_table


def test_percentiles_pick_from_the_ordered_values() -> None:
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert _percentile(values, 0.5) == 0.5
    assert _percentile(values, 0.95) == 1.0
    assert _percentile([], 0.95) == 0.0


def test_the_table_puts_each_client_count_side_by_side() -> None:
    rounds = [
        Round("penwright", 4, 8, 256, 16.0, 0.5, 1.5, 0),
        Round("llama.cpp", 4, 8, 256, 12.8, 0.4, 1.2, 0),
        Round("penwright", 1, 2, 64, 3.2, 0.1, 0.1, 0),
    ]
    lines = format_table(rounds, 2, 32).splitlines()
    rows = [line for line in lines if line.startswith("| ") and "server" not in line]
    assert [row.split("|")[1].strip() for row in rows] == ["penwright", "llama.cpp", "penwright"]
    assert "20.0" in rows[1] and "16.0" in rows[2]  # 256 tokens over 12.8 s, over 16 s
    assert "1500" in rows[2]  # p95 TTFT in ms
