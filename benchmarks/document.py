"""The benchmark's document: realistic English prose, built deterministically, no network."""

from __future__ import annotations

from collections.abc import Callable

PARAGRAPHS = (
    "The old harbour town woke slowly in winter. Fishing boats knocked against the stone quay, "
    "and the smell of salt and diesel drifted up the narrow streets where the bakers had already "
    "been at work for hours.",
    "Margaret had lived above the bookshop for eleven years. She knew every creak of the stairs "
    "and every draught that slipped beneath the doors, and she liked to say that the building had "
    "opinions of its own.",
    "Science advances less by sudden revelation than by patient accumulation. A measurement "
    "repeated a thousand times, a doubt expressed in a footnote, a graduate student who refuses "
    "to accept an awkward result: these are the quiet engines of discovery.",
    "When the railway arrived in the valley in 1871, it changed more than the speed of travel. "
    "Farmers could send milk to the city before it soured, young people could leave for work in "
    "the mills, and news that had once taken a week now arrived with the morning train.",
    "The committee met on a Tuesday afternoon in a room that was too warm. Nobody wanted to be the "
    "first to speak, so for several minutes the only sound was the scratch of a pen and the "
    "distant hum of traffic on the ring road.",
    "A good kitchen knife should feel balanced in the hand. Hold it by the handle and let the "
    "blade rest on one finger where the two meet; if it tips sharply either way, every cut will "
    "cost a little more effort than it should.",
    "By the third week of the expedition the weather had turned. Snow fell each afternoon, the "
    "radio worked only at dawn, and the team began to ration not just food but conversation, "
    "saving their stories for the long evenings in the tent.",
    "Gardens reward attention more than expertise. The person who walks round the beds every "
    "morning notices the first aphids, the dry corner by the wall and the seedlings that need "
    "thinning, and that noticing matters more than any book.",
    "The museum's new wing was meant to be a quiet place for reflection, but on opening day it "
    "filled with school parties, tourists and a brass band that nobody remembered booking.",
    "Her grandfather kept a diary for sixty years without missing a day. Most entries recorded "
    "only the weather and the price of coal, yet read together they told the story of a town "
    "that grew, prospered and then slowly emptied.",
    "Learning a language as an adult is humbling. Children absorb grammar without noticing, while "
    "grown-ups trip over the same irregular verbs for months and blush at every mistake made in "
    "front of a patient shopkeeper.",
    "The bridge had stood for two hundred years before anyone thought to inspect its foundations. "
    "What the engineers found beneath the river surprised them: oak piles, black with age, still "
    "as sound as the day they were driven into the clay.",
)

APPENDED_SENTENCES = (
    "Nobody in the room could have guessed what would happen next.",
    "It was, she decided later, the strangest afternoon of the whole year.",
    "Outside, the rain had finally stopped and the streets shone under the lamps.",
    "He folded the letter carefully and put it back into the envelope.",
    "The answer, when it came, was simpler than any of them had expected.",
)


def build_document(count_tokens: Callable[[str], int], target_tokens: int) -> str:
    """Whole paragraphs (blank-line separated, cycling through PARAGRAPHS with a chapter heading
    every twelve) until the text is about ``target_tokens`` long, never more."""
    paragraphs: list[str] = []
    index = 0
    while True:
        chapter, position = divmod(index, len(PARAGRAPHS))
        piece = PARAGRAPHS[position]
        if position == 0:
            piece = f"Chapter {chapter + 1}\n\n{piece}"
        candidate = "\n\n".join([*paragraphs, piece])
        if count_tokens(candidate) > target_tokens and paragraphs:
            return "\n\n".join(paragraphs)
        paragraphs.append(piece)
        index += 1
