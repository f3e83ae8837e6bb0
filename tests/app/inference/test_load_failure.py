"""app.inference.load_failure: after a failed load there is always something to write with."""

from __future__ import annotations

from penwright.app.inference.load_failure import LoadFailureAction, after_load_failure
from penwright.models.spec import ModelInfo, ModelSpec

SERVING = ModelInfo(
    name="Gemma 3 270M", source="default", path="/m", device="cpu", precision="int8",
    parameters=1, context_length=8,
)


def test_a_chosen_model_that_fails_with_nothing_serving_gives_way_to_the_bundled_one() -> None:
    outcome = after_load_failure(ModelSpec(source="/gone/model"), None, "no such folder")
    assert outcome.action is LoadFailureAction.LOAD_BUNDLED
    assert "/gone/model" in outcome.notice and "bundled model instead" in outcome.notice


def test_the_bundled_model_failing_leaves_no_model_and_says_why() -> None:
    outcome = after_load_failure(ModelSpec(), None, "disk full")
    assert outcome.action is LoadFailureAction.NO_MODEL
    assert "disk full" in outcome.notice


def test_a_failed_switch_keeps_the_model_that_serves() -> None:
    outcome = after_load_failure(ModelSpec(source="/other"), SERVING, "broken")
    assert outcome.action is LoadFailureAction.KEEP_SERVING
    assert "Still using Gemma 3 270M" in outcome.notice
