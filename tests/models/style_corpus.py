"""A small corpus in one distinctive style, for the training tests (deterministic)."""

from __future__ import annotations

import random
from pathlib import Path

NAMES = ("Captain Mireval", "old Orsolya", "the ferryman Tobbe", "Widow Kestrin")
PLACES = ("the harbour of Tessaly", "the salt steps", "the Lantern Quay", "the grey breakwater")
DEEDS = ("walked along", "sang softly over", "counted the boats of", "swept the stones of")
ENDINGS = (
    "and the gulls of Tessaly cried out as they always did.",
    "while the tide turned its slow silver back on the town.",
    "as the bells of the Lantern Quay rang for the evening catch.",
)


def write_corpus(folder: Path, sentences: int, seed: int = 0) -> Path:
    """Write ``sentences`` sentences of the harbour style to folder/harbour.txt."""
    rng = random.Random(seed)
    lines = [
        f"{rng.choice(NAMES)} {rng.choice(DEEDS)} {rng.choice(PLACES)}, {rng.choice(ENDINGS)}"
        for _ in range(sentences)
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "harbour.txt"
    path.write_text("\n".join(" ".join(lines[i : i + 5]) for i in range(0, len(lines), 5)))
    return path
