"""The held-out split: every tenth block of the corpus is kept from training.

Blocks spread through the whole corpus (not just its last chapter), so the held-out text
samples every part of the writer's style; a block is never split between training and held-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BLOCK_TOKENS = 256
HELD_OUT_EVERY = 10
MAX_HELD_OUT_BLOCKS = 24  # bounds the before/after evaluation on a large corpus


@dataclass(frozen=True)
class Split:
    train: list[list[int]]  # blocks of token ids
    held_out: list[list[int]]

    @property
    def train_tokens(self) -> int:
        return sum(len(block) for block in self.train)


def split_blocks(token_ids: Sequence[int], block: int = BLOCK_TOKENS) -> Split:
    blocks = [list(token_ids[i : i + block]) for i in range(0, len(token_ids), block)]
    blocks = [b for b in blocks if len(b) >= 16]
    if len(blocks) < 2:
        raise ValueError("the corpus is too short to hold any text out")
    every = min(HELD_OUT_EVERY, len(blocks))
    # Offset by half a period so the corpus's first block (often a title page) is trained on.
    held = [b for i, b in enumerate(blocks) if i % every == every // 2]
    train = [b for i, b in enumerate(blocks) if i % every != every // 2]
    step = max(1, len(held) // MAX_HELD_OUT_BLOCKS)
    return Split(train=train, held_out=held[::step][:MAX_HELD_OUT_BLOCKS])
