"""A deterministic corpus in one distinctive style, for the style benchmark.

Nothing can be downloaded here, so the corpus is generated: a small template grammar of a
harbour novel with recurring invented names, places and turns of phrase ("the salt-light of
Vessany", "as the tide-bells counted the hour"), in chapters of paragraphs. It is distinctive on
purpose (a general model has never seen Vessany or Captain Orrimond), which is what a writer's
own world is like; it is also more repetitive than real prose, so the figures it gives are an
upper bound of what a real manuscript of the same size would show.
"""

from __future__ import annotations

import random
from pathlib import Path

PEOPLE = (
    "Captain Orrimond", "old Hesk Vanterly", "the ferrywoman Ilse Marrow", "young Tobiah Quell",
    "Widow Saffron Dray", "the harbourmaster Peleg Oune", "little Nim Carraway", "Brother Aldous",
)  # fmt: skip
PLACES = (
    "the harbour of Vessany", "the Lantern Quay", "the salt steps below Greywater",
    "the Drowned Chapel", "the long breakwater of Mossmouth", "the rope-walk at Tallow Lane",
    "the Gullery", "the fish-market under the Weeping Arch",
)  # fmt: skip
ACTIONS = (
    "walked slowly along", "stood a long while upon", "came down at last to", "looked out over",
    "hurried through", "sat mending nets beside", "waited in the fog at", "sang quietly over",
)  # fmt: skip
TIMES = (
    "at the grey turn of the morning", "when the tide-bells counted the hour",
    "in the salt-light of Vessany", "as the lamps of the Lantern Quay were lit",
    "before the herring boats came in", "under a sky the colour of pewter",
)  # fmt: skip
TURNS = (
    "and the gulls of Vessany cried out as they always did",
    "for the sea keeps what it is given, as the old people say",
    "while the tide drew its slow silver hand back from the town",
    "and nobody in Vessany spoke of the Drowned Chapel after dark",
    "though the wind off Mossmouth smelled of rain and tar",
    "as if the harbour itself were holding its breath",
)  # fmt: skip
SPEECH = (
    '"The tide does not wait for the willing," said {who}.',
    '"Mark the bells, child, and you will never be lost," said {who}.',
    '"There is weather coming up from Mossmouth," said {who}, and spat into the water.',
    '"Salt and patience," said {who}. "That is all Vessany ever asked of us."',
)  # fmt: skip


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return rng.choice(SPEECH).format(who=rng.choice(PEOPLE))
    who, act, where = rng.choice(PEOPLE), rng.choice(ACTIONS), rng.choice(PLACES)
    text = f"{who} {act} {where} {rng.choice(TIMES)}, {rng.choice(TURNS)}."
    return text[0].upper() + text[1:]


def chapter(rng: random.Random, number: int, words: int) -> str:
    paragraphs = [f"Chapter {number}"]
    count = 0
    while count < words:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))
        count += len(paragraph.split())
        paragraphs.append(paragraph)
    return "\n\n".join(paragraphs) + "\n"


def write_corpus(folder: Path, words: int = 32_000, chapters: int = 8, seed: int = 16) -> Path:
    """Write ``chapters`` chapter files of about ``words`` words in all; returns the folder."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, chapters + 1):
        text = chapter(rng, number, words // chapters)
        (folder / f"chapter-{number:02d}.md").write_text(text, encoding="utf-8")
    return folder
