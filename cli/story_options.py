"""The story options of ``continue`` and ``context``: FILE's sidecar, --memory, --note,
--note-depth and --ban, turned into the story and ban list of the request.

FILE's sidecar (``FILE.penwright.json``, the app's: models/story/sidecar.py) is applied
first; --memory FILE and --note FILE replace its memory and note, --note-depth its depth, and
each --ban PHRASE adds to its banned phrases. A damaged sidecar is named on stderr and ignored,
as in the app: the text is still continued.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from penwright.models.params import GenerationParams
from penwright.models.story.sidecar import (
    describe_problems,
    load_sidecar,
    read_banned_phrases,
    read_story,
    sidecar_path,
)
from penwright.models.story.story import MAX_NOTE_DEPTH, StoryContext


def add_story_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memory",
        metavar="TEXTFILE",
        help="what the model always reads first (replaces the memory of FILE's sidecar)",
    )
    parser.add_argument(
        "--note",
        metavar="TEXTFILE",
        help="an author's note inserted near the end (replaces the sidecar's)",
    )
    parser.add_argument(
        "--note-depth",
        type=_depth,
        default=None,
        metavar="N",
        help=f"put the note N paragraphs before the end, 1 to {MAX_NOTE_DEPTH} (default: the "
        "sidecar's, else 3)",
    )
    parser.add_argument(
        "--ban",
        action="append",
        default=[],
        metavar="PHRASE",
        help="never write PHRASE (repeat for several; added to the sidecar's ban list)",
    )
    parser.add_argument(
        "--no-sidecar", action="store_true", help="ignore FILE's sidecar (FILE.penwright.json)"
    )


def apply_story(
    args: argparse.Namespace, params: GenerationParams, read: Callable[[Path], str]
) -> tuple[GenerationParams, list[str]]:
    """``params`` with the story and ban list the options and FILE's sidecar give, and the
    warnings to print. ``read(path) -> str`` reads a text file (raising the caller's BadInput)."""
    warnings: list[str] = []
    story, banned = read_story_defaults(Path(args.file), args.no_sidecar, warnings)
    if args.memory is not None:
        story = replace(story, memory=read(Path(args.memory)))
    if args.note is not None:
        story = replace(story, note=read(Path(args.note)))
    if args.note_depth is not None:
        story = replace(story, note_depth=args.note_depth)
    phrases = list(banned)
    for phrase in args.ban:
        if phrase.strip() and phrase.strip() not in phrases:
            phrases.append(phrase.strip())
    params = replace(params, story=None if story.empty else story, banned_phrases=tuple(phrases))
    return params, warnings


def read_story_defaults(
    file: Path, skip: bool, warnings: list[str]
) -> tuple[StoryContext, tuple[str, ...]]:
    """The story and ban list of FILE's sidecar (none with ``skip``); problems to ``warnings``."""
    if skip:
        return StoryContext(), ()
    sidecar, warning = load_sidecar(sidecar_path(file))
    if warning:
        warnings.append(warning)
    story, story_problems = read_story(sidecar)
    banned, banned_problems = read_banned_phrases(sidecar)
    problem = describe_problems(str(sidecar_path(file)), [*story_problems, *banned_problems])
    if problem:
        warnings.append(problem)
    return story, banned


def _depth(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if not 1 <= value <= MAX_NOTE_DEPTH:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_NOTE_DEPTH}, not {value}")
    return value
