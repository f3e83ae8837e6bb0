"""The context budget: trimmed at paragraph, sentence or word boundaries, with a sticky cut."""

from __future__ import annotations

from penwright.models.generation.context import ContextWindow

BOS = 1


def encode_words(text: str) -> list[int]:
    """A stand-in tokenizer: a start token, then one token per word."""
    return [BOS] + [len(word) for word in text.split()]


def paragraph(index: int, sentences: int = 4) -> str:
    return " ".join(f"Paragraph {index} sentence {s} is here." for s in range(sentences))


def test_short_text_is_kept_whole() -> None:
    window = ContextWindow(encode_words)
    text = "A short note."
    assert window.select(text, budget=100) == encode_words(text)


def test_long_text_is_cut_at_a_paragraph_boundary() -> None:
    text = "\n\n".join(paragraph(i) for i in range(12))
    window = ContextWindow(encode_words)
    ids = window.select(text, budget=100)
    assert len(ids) <= 100
    kept = " ".join(text.split()[-(len(ids) - 1) :])
    assert kept.startswith("Paragraph") and kept.split()[3] == "0", "starts at a paragraph start"


def test_without_paragraphs_the_cut_falls_at_a_sentence_start() -> None:
    text = " ".join(f"Sentence {i} has five words." for i in range(100))
    ids = ContextWindow(encode_words).select(text, budget=60)
    first_word = text.split()[-(len(ids) - 1)]
    assert 30 <= len(ids) <= 60
    assert first_word == "Sentence"


def test_cut_point_stays_put_while_text_is_appended() -> None:
    text = "\n\n".join(paragraph(i) for i in range(12))
    window = ContextWindow(encode_words)
    first = window.select(text, budget=100)
    for extra in (" More", " More words", " More words again."):
        ids = window.select(text + extra, budget=100)
        assert ids[: len(first)] == first, "same start, so the prefix cache can hit"


def test_cut_moves_when_the_text_before_it_changes() -> None:
    text = "\n\n".join(paragraph(i) for i in range(12))
    window = ContextWindow(encode_words)
    window.select(text, budget=100)
    edited = "Changed " + text
    assert window.select(edited, budget=100) == ContextWindow(encode_words).select(edited, 100)


def test_cut_moves_forward_once_the_kept_part_outgrows_the_budget() -> None:
    text = "\n\n".join(paragraph(i) for i in range(12))
    window = ContextWindow(encode_words)
    window.select(text, budget=100)
    longer = text + "\n\n" + paragraph(12) + "\n\n" + paragraph(13)
    ids = window.select(longer, budget=100)
    assert len(ids) <= 100
    assert " ".join(longer.split()[-(len(ids) - 1) :]).endswith(paragraph(13))


def test_text_without_any_boundary_is_still_cut_to_the_budget() -> None:
    text = "x" * 5000  # one enormous "word"
    ids = ContextWindow(lambda t: [BOS] + [0] * (len(t) // 10)).select(text, budget=50)
    assert len(ids) <= 50


def test_after_deleting_most_text_after_the_cut_the_model_sees_more_again() -> None:
    text = "\n\n".join(paragraph(i) for i in range(12))
    window = ContextWindow(encode_words)
    first = window.select(text, budget=100)
    cut = len(text) - len(" ".join(text.split()[-(len(first) - 1) :]))
    shortened = text[: cut + 20]  # text before the cut unchanged, most of the rest deleted
    assert len(window.select(shortened, budget=100)) >= 50
