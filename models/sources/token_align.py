"""A remote server's token log-probabilities (OpenAI ``logprobs``) as models.results.TokenInfo,
lined up with the text the source actually shows.

The server's tokens spell what it generated; the source shows that text after its own rules
(a stop cut short, markup held back). TokenInfo's promise is that an alternative's tokens join
to exactly its shown text, so a token is released once the shown text has all of it; where the
shown text parts from the server's (a rule changed it), the rest of that alternative gets no
tokens rather than wrong ones. At the end a token the shown text cut short keeps its shown part.
"""

from __future__ import annotations

import math
from typing import Any

from penwright.models.results import TokenChoice, TokenInfo


def server_tokens(logprobs: Any) -> list[TokenInfo]:
    """One choice's ``logprobs`` object of a completions event -> its tokens ([] when absent or
    malformed: probabilities are a view, never a reason to fail the text)."""
    if not isinstance(logprobs, dict):
        return []
    tokens = logprobs.get("tokens")
    chosen = logprobs.get("token_logprobs")
    tops = logprobs.get("top_logprobs") or []
    if not isinstance(tokens, list) or not isinstance(chosen, list):
        return []
    result: list[TokenInfo] = []
    for i, (text, logprob) in enumerate(zip(tokens, chosen, strict=False)):
        if not isinstance(text, str) or not isinstance(logprob, int | float):
            return result
        top = tops[i] if i < len(tops) and isinstance(tops[i], dict) else {}
        choices = sorted(
            (
                TokenChoice(t, math.exp(lp))
                for t, lp in top.items()
                if isinstance(t, str) and isinstance(lp, int | float)
            ),
            key=lambda c: -c.probability,
        )
        result.append(TokenInfo(text, math.exp(logprob), tuple(choices)))
    return result


class TokenAligner:
    """One alternative: the server's tokens in, TokenInfo for the shown text out."""

    def __init__(self) -> None:
        self._pending: list[TokenInfo] = []
        self._shown = ""  # shown text not yet covered by released tokens
        self._lost = False  # the shown text parted from the server's

    def add(self, tokens: list[TokenInfo]) -> None:
        if not self._lost:
            self._pending.extend(tokens)

    def take(self, shown: str, done: bool = False) -> tuple[TokenInfo, ...]:
        """shown: the text just shown; returns the tokens it completes (all the rest, cut to
        what shows, when done)."""
        if self._lost:
            return ()
        self._shown += shown
        released = []
        while self._pending:
            token = self._pending[0]
            if self._shown.startswith(token.text) and token.text:
                released.append(token)
                self._shown = self._shown[len(token.text) :]
                self._pending.pop(0)
            elif not token.text:
                self._pending.pop(0)
            elif token.text.startswith(self._shown):
                break  # shown so far, the rest still to come
            else:
                self._lost = True
                self._pending.clear()
                return tuple(released)
        if done:
            if self._pending and self._shown and self._pending[0].text.startswith(self._shown):
                cut = self._pending[0]
                released.append(TokenInfo(self._shown, cut.probability, cut.top))
            self._pending.clear()
            self._shown = ""
        return tuple(released)
