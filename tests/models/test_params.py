"""models.params: one table of limits, and messages that name the range in plain numbers."""

from __future__ import annotations

import pytest

from penwright.models.errors import ParamsError
from penwright.models.params import LIMITS, GenerationParams


def test_an_out_of_range_seed_names_its_range_in_whole_numbers() -> None:
    with pytest.raises(ParamsError, match="between 0 and 9223372036854775807, not -1"):
        GenerationParams(seed=-1)


@pytest.mark.parametrize("name", [n for n in LIMITS if n != "seed"])
def test_both_ends_of_every_limit_are_accepted_and_beyond_them_refused(name: str) -> None:
    default = getattr(GenerationParams(), name)
    low, high = LIMITS[name].bounds()
    kind = type(default)
    GenerationParams(**{name: kind(low)})
    GenerationParams(**{name: kind(high)})
    step = 1 if kind is int else 0.001
    for outside in (kind(low) - step, kind(high) + step):
        with pytest.raises(ParamsError, match=name):
            GenerationParams(**{name: outside})
