"""Which quotation is open at a point of a text, so a sentence stop can wait for its closer.

A line of dialogue is one unit for a writer: `"I don't remember. Ask Tom."` A stop after the
first full stop would leave the quote open. Double quotes are tracked (straight, curly, CJK
corner brackets, guillemets); single quotes are left out, because \u2019 and ' are apostrophes far
more often than quotes. A paragraph break closes everything: fiction opens a quote again at the
start of each paragraph of a long speech instead of closing it.
"""

from __future__ import annotations

# The full-width characters are meant: CJK corner brackets.
_CLOSER_OF = {"“": "”", "「": "」", "『": "』", "«": "»", "„": "“"}
_STRAIGHT = '"'

QuoteStack = tuple[str, ...]
"""The closers still expected, innermost last."""


def quotes_after(text: str, stack: QuoteStack = ()) -> QuoteStack:
    """The open quotations after ``text``, given those open before it."""
    open_ = list(stack)
    for char in text:
        if char == "\n":
            open_.clear()
        elif open_ and char == open_[-1]:
            open_.pop()
        elif char == _STRAIGHT:
            open_.append(_STRAIGHT)
        elif char in _CLOSER_OF:
            open_.append(_CLOSER_OF[char])
    return tuple(open_)


def open_quotes(context: str) -> QuoteStack:
    """The quotations open at the end of ``context`` (only its last paragraph counts)."""
    return quotes_after(context[context.rfind("\n") + 1 :])
