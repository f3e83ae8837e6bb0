"""What the model reads: memory, triggered lore, and the story with the author's note in it.

    memory ⏎⏎ lore 1 ⏎⏎ lore 2 ⏎⏎ … story text … [author's note] ⏎⏎ the last paragraphs|

Memory and lore come first and change only when the writer edits them or a key comes into or
goes out of reach, so request after request starts with the same tokens and the engine's prefix
cache (generation/prefix_cache.py) reuses them; the story after them is trimmed at its start by
a sticky ContextWindow of its own, which keeps its cut while the text grows, for the same
reason. The note goes ``note_depth`` paragraphs before the cursor, near enough to steer.

Everything fits the token budget the engine uses: memory and the note always (memory is cut
at its end if it alone would fill more than half), lore entries in the writer's order while
the fixed parts stay under three quarters of the budget, and the story in the rest. What was
left out is reported, for the context view. Qt-free: the engine assembles on its own thread and
the command line prints the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from penwright.models.generation.context import ContextWindow
from penwright.models.story.lore import triggered_lore
from penwright.models.story.story import LoreEntry, StoryContext

Encode = Callable[[str], Sequence[int]]
"""Text -> token ids, with the beginning-of-sequence token the model expects (as the engine)."""

MEMORY, LORE, NOTE, STORY = "memory", "lore", "note", "story"
SEPARATOR = "\n\n"
_MEMORY_SHARE = 0.5  # memory never fills more than this share of the budget
_FIXED_SHARE = 0.75  # memory, lore and note together stay under this share: the story gets room
_PARAGRAPH_BREAK = re.compile(r"\n\s*")
_FIT_ATTEMPTS = 8
MODEL_COUNTING = "the model's own tokenizer"


@dataclass(frozen=True)
class ContextPart:
    """One marked piece of what the model reads."""

    kind: str  # MEMORY, LORE, NOTE or STORY
    name: str  # the lore entry's name; "" for the others
    text: str
    tokens: int  # of this piece alone; the whole may differ by a token where pieces meet

    @property
    def label(self) -> str:
        return f"{self.kind}: {self.name}" if self.name else self.kind


@dataclass(frozen=True)
class AssembledContext:
    """The text the model reads, in marked parts, and its token ids (before the prose rules)."""

    parts: tuple[ContextPart, ...]
    ids: tuple[int, ...]
    budget: int
    cut: tuple[str, ...] = ()  # what was left out to fit, one line each
    problems: tuple[str, ...] = ()  # keys that could not be used, one line each

    @property
    def text(self) -> str:
        return "".join(part.text for part in self.parts)

    @property
    def story_start(self) -> int:
        """Where the story (after memory and lore) begins in ``text``."""
        position = 0
        for part in self.parts:
            if part.kind in (MEMORY, LORE):
                position += len(part.text)
            else:
                break
        return position


class StoryAssembler:
    """Assembles request after request for one model; keeps the story's sticky cut between
    them. Not thread-safe: the engine's own thread calls it."""

    def __init__(self, encode: Encode) -> None:
        self._encode = encode
        self._window = ContextWindow(encode)
        self._special = len(encode(""))  # the beginning-of-sequence token(s) every encode adds

    def tokens(self, text: str) -> int:
        """Tokens of ``text`` alone, without the beginning-of-sequence token."""
        return max(0, len(self._encode(text)) - self._special) if text else 0

    def assemble(self, text: str, story: StoryContext, budget: int) -> AssembledContext:
        """Memory, the lore ``text``'s end brings in, and ``text`` with the note in it, within
        ``budget`` tokens. ``text`` is what lies before the cursor."""
        cut: list[str] = []
        fixed_room = int(budget * _FIXED_SHARE)
        memory_part = self._memory(story.memory, int(budget * _MEMORY_SHARE), cut)
        note = story.note.strip()
        used = self._special + (memory_part.tokens if memory_part else 0)
        used += self.tokens(note + SEPARATOR) if note else 0
        triggered = triggered_lore(story, text)
        lore_parts: list[ContextPart] = []
        for entry in triggered.entries:
            part = _lore_part(entry, self.tokens)
            if used + part.tokens > fixed_room:
                cut.append(f"lore: {entry.name} (no room in the budget)")
                continue
            lore_parts.append(part)
            used += part.tokens
        head = ([memory_part] if memory_part else []) + lore_parts
        story_budget = max(1, budget - used)
        for _attempt in range(_FIT_ATTEMPTS):
            start, _ids = self._window.select_with_start(text, story_budget + self._special)
            parts = (*head, *_story_parts(text[start:], note, story.note_depth, self.tokens))
            whole = "".join(part.text for part in parts)
            ids = tuple(self._encode(whole))
            if len(ids) <= budget or story_budget == 1:
                break
            story_budget = max(1, story_budget - (len(ids) - budget))
        if start:
            cut.append(
                f"story: the first {start:,} characters (about {self.tokens(text[:start]):,} "
                "tokens) before the part shown"
            )
        return AssembledContext(parts, ids, budget, tuple(cut), triggered.problems)

    def _memory(self, memory: str, room: int, cut: list[str]) -> ContextPart | None:
        memory = memory.strip()
        if not memory:
            return None
        text = memory + SEPARATOR
        tokens = self.tokens(text)
        if tokens <= room:
            return ContextPart(MEMORY, "", text, tokens)
        # Keep the start: it usually says what the story is; cut at a word.
        low, high = 0, len(memory)
        while low < high:
            middle = (low + high + 1) // 2
            if self.tokens(memory[:middle] + SEPARATOR) <= room:
                low = middle
            else:
                high = middle - 1
        kept = memory[:low]
        space = kept.rfind(" ")
        kept = kept[:space] if space > len(kept) // 2 else kept
        cut.append(f"memory: its end after {len(kept):,} characters (half the budget at most)")
        text = kept.rstrip() + SEPARATOR
        return ContextPart(MEMORY, "", text, self.tokens(text))


def _lore_part(entry: LoreEntry, tokens: Callable[[str], int]) -> ContextPart:
    text = entry.text.strip() + SEPARATOR
    return ContextPart(LORE, entry.name or "(unnamed)", text, tokens(text))


def _story_parts(
    story: str, note: str, depth: int, tokens: Callable[[str], int]
) -> list[ContextPart]:
    """The kept story with the note before its ``depth``-th paragraph from the end."""
    if not note:
        return [ContextPart(STORY, "", story, tokens(story))]
    breaks = [m for m in _PARAGRAPH_BREAK.finditer(story) if m.end() < len(story)]
    if depth <= len(breaks):
        chosen = breaks[-depth]
        position = chosen.end()
        newlines = "\n" * min(2, chosen.group().count("\n"))
    else:
        position, newlines = 0, SEPARATOR  # fewer paragraphs than the depth: before them all
    note_text = note + newlines
    parts = []
    if story[:position]:
        parts.append(ContextPart(STORY, "", story[:position], tokens(story[:position])))
    parts.append(ContextPart(NOTE, "", note_text, tokens(note_text)))
    if story[position:]:
        parts.append(ContextPart(STORY, "", story[position:], tokens(story[position:])))
    return parts


@dataclass(frozen=True)
class PromptPreview:
    """What the engine will read for a request: the assembled parts, then the prose rules'
    changes (an opening before a near-empty text; a half-typed word taken off the end, which
    the model re-types as it continues), and the exact token ids it feeds the model.
    ``counting`` says whose tokenizer counted them (a remote server's may be an estimate)."""

    assembled: AssembledContext
    prompt_ids: tuple[int, ...]
    healed: str = ""
    opening: str = ""
    counting: str = MODEL_COUNTING


def plain_context(
    text: str, start: int, ids: Sequence[int], budget: int, special: int
) -> AssembledContext:
    """The context of a request without a story: the text's end the budget keeps, one part."""
    kept = text[start:]
    cut = (f"story: the first {start:,} characters before the part shown",) if start else ()
    part = ContextPart(STORY, "", kept, max(0, len(ids) - special))
    return AssembledContext((part,), tuple(ids), budget, cut)
