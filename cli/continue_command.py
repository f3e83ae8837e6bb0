"""``penwright-cli continue FILE``: print a continuation of a text file to stdout.

The local engine writes it, or with ``--server URL`` an OpenAI-compatible server (the same
remote text source the app uses, models.sources.remote), its key from PENWRIGHT_SERVER_API_KEY.

Three outputs, all on stdout so they can be piped:

- one alternative (``-n 1``, or temperature 0 with --plain): the text is streamed as it is
  generated;
- several (``-n N``): each alternative is printed whole, numbered, once all are done (the
  engine generates them side by side, so their pieces arrive interleaved);
- ``--json``: one JSON object ``{"alternatives": [...], "stats": {...}}`` (the stats are
  models.results.GenerationStats) for scripts.

Progress, figures and errors go to stderr. Exit codes: 0 done, 1 generation failed, 2 bad file,
bad parameters or a model that would not load, 130 interrupted. The file is read by
models.files.textfile, the editor's own decoder, so it reads the same as in the app.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from penwright.cli.story_options import apply_story
from penwright.models.errors import EngineError, GenerationError, ParamsError
from penwright.models.files.textfile import NotTextError, read_text_file
from penwright.models.generation.engine import Engine
from penwright.models.params import LIMITS, GenerationParams
from penwright.models.results import Delta, GenerationStats
from penwright.models.sources.protocol import TextSource
from penwright.models.spec import LoadProgress, ModelSpec

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class BadInput(Exception):
    """A problem with what the user gave us; the message says what and where."""


def run_continue(args: argparse.Namespace) -> int:
    """Run the ``continue`` command with ``args`` from penwright.cli.main; return the exit code."""
    try:
        context = read_text(Path(args.file))
        params, warnings = apply_story(args, params_from(args), read_text)
    except (BadInput, ParamsError) as error:
        return _fail(str(error), EXIT_BAD_INPUT)
    for warning in warnings:
        print(f"note: {warning}", file=sys.stderr)

    engine: TextSource
    if getattr(args, "server", None):
        engine, spec, what = _remote_source(args)
    else:
        engine = Engine()
        spec = ModelSpec(source=args.model, device=args.device, precision=args.precision)
        what = f"the model {args.model!r}"
    try:
        info = engine.load(spec, _print_progress)
    except (EngineError, ValueError) as error:  # RemoteError is a GenerationError: an EngineError
        return _fail(f"cannot load {what}: {error}", EXIT_BAD_INPUT)
    print(f"{info.name} on {info.device} ({info.precision})", file=sys.stderr)
    if info.fallback_reason:
        print(f"note: {info.fallback_reason}", file=sys.stderr)
    # Without distinct openings, greedy alternatives would all be the same text.
    single = params.n == 1 or (params.greedy and not params.distinct)
    if params.n > 1 and single:
        print("note: temperature 0 with --plain gives one continuation", file=sys.stderr)

    try:
        deltas = engine.stream(context, params, threading.Event())
        if args.json:
            print_json(sys.stdout, collect_alternatives(deltas), engine.last_stats)
        elif single:
            stream_text(sys.stdout, deltas)
        else:
            print_alternatives(sys.stdout, collect_alternatives(deltas))
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except ParamsError as error:  # found once the text is tokenized: nothing to continue
        return _fail(f"{args.file}: {error}", EXIT_BAD_INPUT)
    except (GenerationError, EngineError) as error:
        return _fail(f"generation failed: {error}", EXIT_FAILED)
    if not args.json:
        print(_summary(engine.last_stats), file=sys.stderr)
    return 0


def _remote_source(args: argparse.Namespace) -> tuple[TextSource, ModelSpec, str]:
    """The remote server --server names, its key from SERVER_KEY_VARIABLE."""
    from penwright.cli.main import SERVER_KEY_VARIABLE
    from penwright.models.sources.remote import RemoteServer, RemoteSource, remote_spec

    server = RemoteServer(
        name="",
        base_url=args.server,
        model=args.server_model or "",
        preset=args.server_preset,
        api_key=os.environ.get(SERVER_KEY_VARIABLE, ""),
    )
    return RemoteSource(server), remote_spec(args.server), f"the server {args.server}"


def read_text(path: Path) -> str:
    """The text of ``path`` as the editor would open it, with ``\\n`` line ends.

    Raises BadInput with a message naming the file (missing, a folder, unreadable, not text).
    """
    try:
        text, _format = read_text_file(path)
    except NotTextError as error:
        raise BadInput(str(error)) from None
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a folder, not a text file") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read it ({error.strerror or error})") from None
    return text


def params_from(args: argparse.Namespace) -> GenerationParams:
    """GenerationParams from the command line; raises ParamsError naming a bad value."""
    numbers = {name: getattr(args, name) for name in LIMITS if name != "seed"}
    params = GenerationParams(
        **numbers,
        stop=args.stop,
        stop_strings=tuple(args.stop_strings),
        seed=args.seed,
    )
    return params.plain() if getattr(args, "plain", False) else params


def stream_text(out: TextIO, deltas: Iterable[Delta]) -> None:
    """Write one alternative's text as it comes (flushed per piece), then a newline."""
    for delta in deltas:
        out.write(delta.text)
        out.flush()
    out.write("\n")
    out.flush()


def collect_alternatives(deltas: Iterable[Delta]) -> list[str]:
    """Each alternative's whole text, in order (pieces of several arrive interleaved)."""
    pieces: dict[int, list[str]] = {}
    for delta in deltas:
        pieces.setdefault(delta.alternative, []).append(delta.text)
    return ["".join(pieces[index]) for index in sorted(pieces)]


def print_alternatives(out: TextIO, alternatives: list[str]) -> None:
    """Each alternative whole under a numbered header, a blank line between them."""
    for number, text in enumerate(alternatives, start=1):
        if number > 1:
            out.write("\n")
        out.write(f"--- alternative {number} of {len(alternatives)} ---\n{text}\n")
    out.flush()


def print_json(out: TextIO, alternatives: list[str], stats: GenerationStats) -> None:
    """One JSON object on one line: {"alternatives": [text, ...], "stats": {field: value}}."""
    document = {"alternatives": alternatives, "stats": dataclasses.asdict(stats)}
    out.write(json.dumps(document) + "\n")
    out.flush()


def _summary(stats: GenerationStats) -> str:
    return (
        f"[{stats.new_tokens} tokens, first after {stats.time_to_first_token_s:.2f} s, "
        f"{stats.decode_tokens_per_s:.1f} tokens/s, ended by {stats.stop_reason}]"
    )


def _print_progress(progress: LoadProgress) -> None:
    print(f"{progress.stage}: {progress.percent:.0f}%", file=sys.stderr, flush=True)


def _fail(message: str, code: int) -> int:
    print(f"penwright-cli: {message}", file=sys.stderr)
    return code
