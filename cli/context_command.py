"""``penwright-cli context FILE``: print exactly what the model reads to continue FILE at its
end, FILE's sidecar and the story options applied, each part marked.

Each part (memory, lore: NAME, note, story) comes under a marker line of its own::

    ─── memory · 14 tokens ───

then its text exactly as the model reads it; a marker line ends the text of the part before
it. The last line gives the prompt's tokens against the budget, what was cut to fit and what
the prose rules changed. ``--raw`` prints the text alone, byte for byte what the model reads
(before the half-typed word healing re-types); ``--json`` prints the parts for scripts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from penwright.cli.continue_command import EXIT_BAD_INPUT, BadInput, params_from, read_text
from penwright.cli.story_options import apply_story
from penwright.models.errors import EngineError, ParamsError
from penwright.models.generation.engine import Engine
from penwright.models.spec import ModelSpec
from penwright.models.story.assembly import PromptPreview

MARK = "───"


def run_context(args: argparse.Namespace) -> int:
    if getattr(args, "server", None):
        return _fail("context shows what the local model reads; it does not take --server")
    try:
        text = read_text(Path(args.file))
        params, warnings = apply_story(args, params_from(args), read_text)
    except (BadInput, ParamsError) as error:
        return _fail(str(error))
    for warning in warnings:
        print(f"note: {warning}", file=sys.stderr)
    engine = Engine()
    spec = ModelSpec(source=args.model, device=args.device, precision=args.precision)
    try:
        engine.load(spec)
        preview = engine.preview(text, params)
    except (EngineError, ValueError) as error:
        return _fail(f"cannot load the model {args.model!r}: {error}")
    finally:
        engine.close()
    if args.json:
        print_json(sys.stdout, preview)
    elif args.raw:
        sys.stdout.write(preview.opening + preview.assembled.text)
        sys.stdout.flush()
    else:
        print_marked(sys.stdout, preview)
    return 0


def print_marked(out: TextIO, preview: PromptPreview) -> None:
    """Each part under its marker line, then the summary line."""
    if preview.opening:
        _part(out, "opening (the text is nearly empty)", None, preview.opening)
    for part in preview.assembled.parts:
        _part(out, part.label, part.tokens, part.text)
    out.write(f"{MARK} end {MARK}\n{summary(preview)}\n")
    out.flush()


def summary(preview: PromptPreview) -> str:
    assembled = preview.assembled
    line = f"{len(preview.prompt_ids):,} of {assembled.budget:,} tokens"
    line += "; cut: " + "; ".join(assembled.cut) if assembled.cut else "; nothing cut"
    if preview.healed:
        line += f"; the model re-types {preview.healed!r} as it continues"
    for problem in assembled.problems:
        line += f"; {problem}"
    return line


def print_json(out: TextIO, preview: PromptPreview) -> None:
    assembled = preview.assembled
    document = {
        "parts": [
            {"kind": p.kind, "name": p.name, "text": p.text, "tokens": p.tokens}
            for p in assembled.parts
        ],
        "opening": preview.opening,
        "text": preview.opening + assembled.text,
        "prompt_ids": list(preview.prompt_ids),
        "budget": assembled.budget,
        "cut": list(assembled.cut),
        "healed": preview.healed,
        "problems": list(assembled.problems),
    }
    out.write(json.dumps(document, ensure_ascii=False) + "\n")
    out.flush()


def _part(out: TextIO, label: str, tokens: int | None, text: str) -> None:
    count = f" · {tokens:,} tokens" if tokens is not None else ""
    out.write(f"{MARK} {label}{count} {MARK}\n{text}")
    if not text.endswith("\n"):
        out.write("\n")


def _fail(message: str) -> int:
    print(f"penwright-cli: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
