"""Context assembly: memory first, lore when its keys occur near the cursor, the author's note
at its depth, and the token budget with what was cut reported."""

from __future__ import annotations

from penwright.models.story.assembly import LORE, MEMORY, NOTE, STORY, StoryAssembler
from penwright.models.story.lore import triggered_lore
from penwright.models.story.story import LoreEntry, StoryContext

BOS = 1


def encode_words(text: str) -> list[int]:
    """A stand-in tokenizer: a start token, then one token per word."""
    return [BOS] + [len(word) for word in text.split()]


def kinds(story: StoryContext, text: str, budget: int = 1000) -> list[str]:
    assembled = StoryAssembler(encode_words).assemble(text, story, budget)
    return [part.label for part in assembled.parts]


STORY_TEXT = "First paragraph here.\n\nSecond one.\n\nThird one.\n\nThe fourth, where I am"


def test_memory_comes_first_and_the_text_is_unchanged_after_it() -> None:
    story = StoryContext(memory="  A tale of the sea.  ")
    assembled = StoryAssembler(encode_words).assemble(STORY_TEXT, story, 1000)
    assert assembled.text == "A tale of the sea.\n\n" + STORY_TEXT
    assert [p.kind for p in assembled.parts] == [MEMORY, STORY]
    assert assembled.parts[0].tokens == 5
    assert assembled.ids == tuple(encode_words(assembled.text))
    assert assembled.cut == ()


def test_the_note_goes_depth_paragraphs_before_the_cursor() -> None:
    for depth, before in ((1, "The fourth"), (2, "Third one."), (3, "Second one.")):
        story = StoryContext(note="[Tone: grim]", note_depth=depth)
        assembled = StoryAssembler(encode_words).assemble(STORY_TEXT, story, 1000)
        text = assembled.text
        assert text.replace("[Tone: grim]\n\n", "") == STORY_TEXT
        assert f"[Tone: grim]\n\n{before}" in text
    deep = StoryContext(note="[N]", note_depth=10)  # deeper than the text: before it all
    assert StoryAssembler(encode_words).assemble(STORY_TEXT, deep, 1000).text.startswith("[N]\n\n")


def test_the_note_keeps_the_text_s_own_paragraph_breaks() -> None:
    text = "One line.\nAnother line.\nThe last"
    story = StoryContext(note="[N]", note_depth=2)
    assert StoryAssembler(encode_words).assemble(text, story, 1000).text == (
        "One line.\n[N]\nAnother line.\nThe last"
    )


def test_lore_comes_in_when_a_plain_key_occurs_near_the_cursor() -> None:
    whale = LoreEntry("Moby", ("white whale",), "A white sperm whale.")
    ship = LoreEntry("Pequod", ("pequod", "ship"), "A Nantucket whaler.")
    story = StoryContext(memory="M.", lore=(whale, ship))
    assert kinds(story, "They saw the WHITE   WHALE? No: the White Whale!") == [
        "memory",
        "lore: Moby",
        "story",
    ]
    assert kinds(story, "Aboard the Pequod's deck") == ["memory", "lore: Pequod", "story"]
    # Whole words only: "shipment" is not "ship".
    assert kinds(story, "A shipment arrived") == ["memory", "story"]
    # The writer's order, whatever order the keys occur in.
    assert kinds(story, "the ship and the white whale") == [
        "memory",
        "lore: Moby",
        "lore: Pequod",
        "story",
    ]


def test_regex_keys_are_case_insensitive_and_a_bad_one_is_reported() -> None:
    captain = LoreEntry("Ahab", ("/cap(tain)?\\.?\\s+ahab/",), "One leg.")
    broken = LoreEntry("Broken", ("/(unclosed/",), "x")
    story = StoryContext(lore=(captain, broken))
    assert kinds(story, "said CAPT. Ahab") == ["story"]  # "capt" is not "cap(tain)?"
    assert kinds(story, "said Cap. ahab") == ["lore: Ahab", "story"]
    assert kinds(story, "said Captain  Ahab") == ["lore: Ahab", "story"]
    triggered = triggered_lore(story, "Captain Ahab")
    assert len(triggered.problems) == 1 and "Broken" in triggered.problems[0]


def test_only_the_scan_window_before_the_cursor_triggers_lore() -> None:
    story = StoryContext(lore=(LoreEntry("Ahab", ("Ahab",), "The captain."),), scan_chars=50)
    text = "Ahab was mentioned long ago. " + "Then the sea went on and on. " * 5
    assert kinds(story, text) == ["story"]
    assert kinds(story, text + "Ahab") == ["lore: Ahab", "story"]


def test_disabled_and_empty_entries_never_come_in() -> None:
    story = StoryContext(
        lore=(LoreEntry("Off", ("sea",), "x", enabled=False), LoreEntry("Empty", ("sea",), " "))
    )
    assert kinds(story, "the sea") == ["story"]


def test_the_story_is_cut_to_the_budget_and_the_cut_reported() -> None:
    story = StoryContext(memory="one two three four five", note="[note]")
    text = "\n\n".join(f"Paragraph {i} has exactly six words." for i in range(40))
    assembled = StoryAssembler(encode_words).assemble(text, story, 100)
    assert len(assembled.ids) <= 100
    assert assembled.parts[0].kind == MEMORY  # memory is never what gets cut first
    assert any(part.kind == NOTE for part in assembled.parts)
    assert assembled.ids == tuple(encode_words(assembled.text))
    assert len(assembled.cut) == 1 and assembled.cut[0].startswith("story: the first")
    assert text.endswith(assembled.parts[-1].text)  # the text right before the cursor stays


def test_lore_that_does_not_fit_is_left_out_and_named() -> None:
    big = LoreEntry("Big", ("sea",), " ".join(["word"] * 70))
    small = LoreEntry("Small", ("sea",), "Short entry.")
    story = StoryContext(lore=(big, small))
    assembled = StoryAssembler(encode_words).assemble("the sea " * 20, story, 80)
    assert [p.label for p in assembled.parts if p.kind == LORE] == ["lore: Small"]
    assert assembled.cut == ("lore: Big (no room in the budget)",)
    assert len(assembled.ids) <= 80


def test_a_huge_memory_is_cut_at_its_end_to_half_the_budget() -> None:
    story = StoryContext(memory=" ".join(f"m{i}" for i in range(500)))
    assembled = StoryAssembler(encode_words).assemble("story words here", story, 100)
    memory = assembled.parts[0]
    assert memory.kind == MEMORY and memory.text.startswith("m0 m1 ") and memory.tokens <= 50
    assert assembled.cut[0].startswith("memory:")
    assert assembled.parts[-1] == assembled.parts[-1].__class__(STORY, "", "story words here", 3)


def test_memory_and_lore_stay_the_same_tokens_as_the_story_grows() -> None:
    """The prefix cache can hit: every request starts with the same memory and lore tokens."""
    story = StoryContext(memory="A stable memory.", lore=(LoreEntry("S", ("sea",), "Salt."),))
    assembler = StoryAssembler(encode_words)
    text = "\n\n".join(f"Paragraph {i} is about the sea today." for i in range(30))
    first = assembler.assemble(text, story, 120)
    for extra in (" And", " And more", " And more words."):
        again = assembler.assemble(text + extra, story, 120)
        assert again.ids[: len(first.ids) - 1] == first.ids[:-1]
