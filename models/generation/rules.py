"""The prose rules: what the engine adds to plain sampling so a suggestion is worth inserting.

Each rule is a transformers LogitsProcessor, run before the sampler's own (see
models.generation.sampling), so greedy decoding with the rules equals ``model.generate`` given
the same processors, and the HTTP server and remote backends can share them. Which rules run is
said by GenerationParams (heal, prose, no_copy_tokens, distinct; ``params.plain()`` turns them
all off):

- token healing (models.generation.healing): a half-typed word is completed, never misspelt;
- markup: in a context without markup, no token that writes a tag ("<", ">") or an entity
  ("&nbsp;") is ever picked; an empty or near-empty text gets a prose opening to continue
  instead of the web pages the model mostly read (``OPENING``);
- no verbatim copies: the token that would complete a span of ``no_copy_tokens`` tokens seen
  before (in the context or the continuation) is forbidden (models.generation.no_copy, the rule
  of transformers' NoRepeatNGramLogitsProcessor at a dictionary lookup a step);
- dialogue: while a quotation is open in the paragraph, the text may neither end nor break
  the paragraph (the sentence stop waits for the closer too, models.generation.stops);
- blank runs (with prose): at most one blank line in a row, and no long runs of blanks;
- distinct alternatives: alternative i may not open as alternatives 0..i-1 did, nor as a
  continuation already offered (``avoid``). An opening is the text up to the first character
  past the word the writer was typing, so alternatives may all complete "rattl" as "rattled"
  and differ from there on; at temperature 0, alternative i is then the greedy continuation of
  the i-th likeliest opening.

A rule never leaves a row with nothing to pick: where the masks together would forbid every
token, that row's scores pass unchanged (``_Guarded``).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from transformers import LogitsProcessor, LogitsProcessorList

from penwright.models.generation.healing import HealingConstraint, heal
from penwright.models.generation.no_copy import NgramIndex, NoCopy
from penwright.models.generation.quotes import open_quotes, quotes_after
from penwright.models.generation.vocabulary import Vocabulary
from penwright.models.params import GenerationParams
from penwright.models.prose import (
    CJK_CHARACTERS,
    MARKUP,
    NEAR_EMPTY_WORDS,
    OPENING,
    count_words,
    has_markup,
)

__all__ = [
    "MARKUP",
    "NEAR_EMPTY_WORDS",
    "OPENING",
    "Prompt",
    "RequestRules",
    "has_markup",
    "prepare_prompt",
]

_MARKUP_TOKEN = re.compile(r"[<>]")
_ENTITY_START = re.compile(r"^[A-Za-z#]")


@dataclass(frozen=True)
class Prompt:
    """What the model reads for one request, after the rules that change it."""

    ids: list[int]
    healed: str = ""  # text taken off the end by healing; the stream starts after it
    opening: bool = False  # OPENING was put in front of a (near-)empty text


def prepare_prompt(
    context: str,
    prompt_ids: list[int],
    params: GenerationParams,
    vocabulary: Vocabulary,
    encode: Callable[[str], Sequence[int]],
) -> Prompt:
    """Apply the rules that change the prompt: the opening, then healing."""
    opening = params.prose and count_words(context) < NEAR_EMPTY_WORDS
    if opening:
        prompt_ids = list(encode(OPENING + context.lstrip()))
    if not params.heal:
        return Prompt(prompt_ids, "", opening)
    healing = heal(prompt_ids, context, vocabulary)
    return Prompt(healing.prompt_ids, healing.prefix, opening)


@dataclass
class RequestRules:
    """The rules of one request, shared by its alternatives: ``processors(i)`` for alternative
    i, and ``record`` telling the others how alternative i started."""

    context: str
    prompt: Prompt
    params: GenerationParams
    vocabulary: Vocabulary
    eos_ids: frozenset[int] = frozenset()
    _starts: dict[int, str] = field(default_factory=dict)  # alternative -> its opening text
    _markup_ids: torch.Tensor | None = None
    _ngram_index: NgramIndex | None = None

    def __post_init__(self) -> None:
        if self.params.prose and not has_markup(self.context):
            self._markup_ids = _markup_ids(self.vocabulary)

    def processors(self, alternative: int) -> LogitsProcessorList:
        prompt_length = len(self.prompt.ids)
        rules: list[LogitsProcessor] = []
        if self.prompt.healed:
            rules.append(HealingConstraint(self.prompt.healed, prompt_length, self.vocabulary))
        if self._markup_ids is not None:
            rules.append(_NoMarkup(self._markup_ids, self.vocabulary))
        if self.params.no_copy_tokens:
            rules.append(NoCopy(self._ngrams()))
        if self.params.distinct:
            rules.append(_DistinctStart(self, alternative, prompt_length))
        if self.params.dialogue:
            rules.append(_DialogueEnds(self, prompt_length))
        if self.params.prose:
            rules.append(_NoBlankRuns(self, prompt_length))
        return LogitsProcessorList([_Guarded(rules)]) if rules else LogitsProcessorList()

    def _ngrams(self) -> NgramIndex:
        if self._ngram_index is None:
            self._ngram_index = NgramIndex(self.prompt.ids, self.params.no_copy_tokens)
        return self._ngram_index

    # -- distinct starts ----------------------------------------------------------------------

    def needs_record(self, alternative: int) -> bool:
        return self.params.distinct and alternative not in self._starts

    def record(self, alternative: int, token_ids: Sequence[int]) -> None:
        """Alternative ``alternative`` has generated ``token_ids``: once they reach past the
        word being completed, that opening is taken."""
        text = self.generated_text(token_ids)
        if text is not None and self.opened(self.key(text)):
            self._starts.setdefault(alternative, self.key(text))

    def taken_openings(self, alternative: int) -> list[str]:
        """Openings alternative ``alternative`` may not repeat: those of the alternatives before
        it and of the continuations offered before (``avoid``, after the healed letters)."""
        earlier = [text for i, text in self._starts.items() if i < alternative]
        return earlier + [self.prompt.healed + text for text in self.params.avoid if text]

    def generated_text(self, token_ids: Sequence[int]) -> str | None:
        """The text of generated tokens (byte pieces joined), None after a special token."""
        return self.vocabulary.decode(token_ids)

    def key(self, text: str) -> str:
        """``text`` as openings are compared: blanks right after the healed letters do not
        count, so "\n\nThe rain" opens as "The rain" does."""
        healed = self.prompt.healed
        if len(text) < len(healed):
            return text
        return healed + text[len(healed) :].lstrip()

    def opened(self, text: str) -> bool:
        """Whether ``text`` goes past the word the writer was typing (and healing completes):
        alternatives may share "rattled" and must differ from there on."""
        return _OPENING.search(text, len(self.prompt.healed)) is not None


# A character that ends the word being completed: anything but letters, digits and apostrophes,
# and every CJK character (each is a word of its own).
_OPENING = re.compile(rf"[^\w'’]|[{CJK_CHARACTERS}]|_")  # noqa: RUF001
_LONGEST_OPENING = 48  # characters of an opening compared; tokens are far shorter


class _DistinctStart(LogitsProcessor):
    """Until this alternative's text goes past the word being completed, forbid every token that
    would make it open as a taken opening does (a piece of that opening reaching past the word).
    """

    def __init__(self, rules: RequestRules, alternative: int, prompt_length: int) -> None:
        self._rules = rules
        self._alternative = alternative
        self._prompt_length = prompt_length

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        rules = self._rules
        generated = input_ids[0, self._prompt_length :].tolist()
        text = rules.generated_text(generated)
        if text is None:
            return scores
        so_far = rules.key(text)
        if rules.opened(so_far):
            return scores
        vocabulary = rules.vocabulary
        nothing_yet = so_far == rules.prompt.healed  # only blanks, if anything, after it
        banned: set[int] = set()
        for opening in rules.taken_openings(self._alternative):
            if not opening.startswith(so_far):
                continue
            rest = opening[len(so_far) : len(so_far) + _LONGEST_OPENING]
            candidates = vocabulary.prefixes_of(rest, whole=True)
            if nothing_yet and len(text) >= len(rules.prompt.healed):
                candidates += vocabulary.blank_led_prefixes_of(rest)
            for token_id in candidates:
                after = rules.key(text + (vocabulary.text(token_id) or ""))
                if rules.opened(after) and opening.startswith(after):
                    banned.add(token_id)
            # A character can also be spelt in byte pieces: forbid the first byte of the next
            # character of the opening, unless a character is already half spelt.
            byte = vocabulary.byte_token(rest[:1].encode("utf-8")[0]) if rest else None
            if byte is not None and not vocabulary.ends_inside_a_character(generated):
                after = rules.key(text + rest[0])
                if rules.opened(after) and opening.startswith(after):
                    banned.add(byte)
        if not banned:
            return scores
        ids = torch.tensor(sorted(banned), dtype=torch.long, device=scores.device)
        return scores.index_fill(-1, ids, -torch.inf)  # type: ignore[return-value]


class _DialogueEnds(LogitsProcessor):
    """While a quotation is open in the paragraph (opened before the cursor or in the
    continuation), the text may not end and the paragraph may not break before its closing
    quote: the model would leave the line of dialogue open ("I don't remember.)."""

    def __init__(self, rules: RequestRules, prompt_length: int) -> None:
        self._rules = rules
        self._prompt_length = prompt_length
        self._eos = torch.tensor(sorted(rules.eos_ids), dtype=torch.long)
        self._open_before = open_quotes(rules.context)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        text = self._rules.generated_text(input_ids[0, self._prompt_length :].tolist())
        if text is None:
            return scores
        still_open = quotes_after(text[len(self._rules.prompt.healed) :], self._open_before)
        if not still_open:
            return scores
        closer = still_open[-1]
        breaking = token_set(
            self._rules.vocabulary,
            f"breaks before {closer}",
            lambda token: "\n" in token and closer not in token.split("\n", 1)[0],
        )
        out = scores.index_fill(-1, breaking.to(scores.device), -torch.inf)
        if len(self._eos):
            out = out.index_fill(-1, self._eos.to(scores.device), -torch.inf)
        return out  # type: ignore[return-value]


_BLANK = " \t\u3000\r"
_LONGEST_BLANK_RUN = 8  # characters of blanks and line breaks in a row, at most


class _NoBlankRuns(LogitsProcessor):
    """Prose has at most one blank line in a row: no more line breaks once the text ends in a
    blank line, and no more blanks once it ends in a run of them (the model otherwise fills a
    short text with ideographic spaces and empty lines)."""

    def __init__(self, rules: RequestRules, prompt_length: int) -> None:
        self._rules = rules
        self._prompt_length = prompt_length
        self._tail = _trailing_blanks(rules.context[-64:])

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        text = self._rules.generated_text(input_ids[0, self._prompt_length :].tolist())
        if text is None:
            return scores
        generated = text[len(self._rules.prompt.healed) :]
        tail = _trailing_blanks(generated) if generated.strip() else self._tail + generated
        vocabulary = self._rules.vocabulary
        if len(tail) >= _LONGEST_BLANK_RUN:
            banned = token_set(vocabulary, "blank", lambda token: not token.strip())
        elif tail.count("\n") >= 2:
            banned = token_set(
                vocabulary, "leading line break", lambda token: "\n" in _leading_blanks(token)
            )
        else:
            return scores
        return scores.index_fill(-1, banned.to(scores.device), -torch.inf)  # type: ignore[return-value]


def _trailing_blanks(text: str) -> str:
    return text[len(text.rstrip(_BLANK + "\n")) :]


def _leading_blanks(text: str) -> str:
    return text[: len(text) - len(text.lstrip(_BLANK + "\n"))]


def token_set(vocabulary: Vocabulary, name: str, wanted: Callable[[str], bool]) -> torch.Tensor:
    """The ids of the tokens whose text is ``wanted``, found once per vocabulary and name (a
    pass over 262k texts costs tens of milliseconds, too much for every request)."""
    sets = _TOKEN_SETS.setdefault(vocabulary, {})
    if name not in sets:
        sets[name] = torch.tensor(vocabulary.ids_where(wanted), dtype=torch.long)
    return sets[name]


_TOKEN_SETS: weakref.WeakKeyDictionary[Vocabulary, dict[str, torch.Tensor]] = (
    weakref.WeakKeyDictionary()
)


def _markup_ids(vocabulary: Vocabulary) -> torch.Tensor:
    return token_set(vocabulary, "markup", lambda text: _MARKUP_TOKEN.search(text) is not None)


def _entity_name_ids(vocabulary: Vocabulary) -> torch.Tensor:
    return token_set(vocabulary, "entity", lambda text: _ENTITY_START.match(text) is not None)


class _NoMarkup(LogitsProcessor):
    """No token that writes "<" or ">", and no entity name right after an "&"."""

    def __init__(self, banned: torch.Tensor, vocabulary: Vocabulary) -> None:
        self._banned = banned
        self._vocabulary = vocabulary

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        out = scores.index_fill(-1, self._banned.to(scores.device), -torch.inf)
        for row in range(scores.shape[0]):
            last = self._vocabulary.text(int(input_ids[row, -1])) or ""
            if last.endswith("&"):
                out[row, _entity_name_ids(self._vocabulary).to(scores.device)] = -torch.inf
        return out  # type: ignore[return-value]


class _Guarded(LogitsProcessor):
    """Run ``rules`` in order; where a rule would leave a row without any token, that row skips
    the rule. Healing comes first and always leaves the removed tokens themselves, so the rules
    after it can never undo it."""

    def __init__(self, rules: list[LogitsProcessor]) -> None:
        self._rules = rules

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        out = scores
        for rule in self._rules:
            ruled = rule(input_ids, out)
            # A row is blocked when even its best token is -inf: one pass over the 262k
            # scores, where isneginf(...).all() made a mask first (0.7 ms against 0.08 ms).
            blocked = ruled.amax(dim=-1) == -torch.inf
            if bool(blocked.any()):
                ruled = torch.where(blocked[:, None], out, ruled)
            out = ruled
        return out
