"""``penwright-cli continue FILE``: stream a continuation of a text file to stdout.

The continuation goes to stdout as it is generated (flushed per piece) so it can be piped;
progress, figures and errors go to stderr. Exit codes: 0 done, 1 generation failed, 2 bad file,
bad parameters or a model that would not load, 130 interrupted.
"""

from __future__ import annotations

import argparse
import codecs
import sys
from pathlib import Path
from typing import TextIO

from penwright.models.errors import EngineError, GenerationError, ModelLoadError, ParamsError
from penwright.models.generation.engine import Engine
from penwright.models.params import GenerationParams
from penwright.models.spec import LoadProgress, ModelSpec

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class BadInput(Exception):
    """A problem with what the user gave us; the message says what and where."""


def run_continue(args: argparse.Namespace) -> int:
    """Run the ``continue`` command with ``args`` from penwright.cli.main; return the exit code."""
    try:
        context = read_text(Path(args.file))
        params = params_from(args)
    except (BadInput, ParamsError) as error:
        return _fail(str(error), EXIT_BAD_INPUT)

    engine = Engine()
    try:
        spec = ModelSpec(source=args.model, device=args.device, precision=args.precision)
        info = engine.load(spec, _print_progress)
    except (ModelLoadError, ValueError) as error:
        return _fail(f"cannot load the model {args.model!r}: {error}", EXIT_BAD_INPUT)
    print(f"{info.name} on {info.device} ({info.precision})", file=sys.stderr)
    if info.fallback_reason:
        print(f"note: {info.fallback_reason}", file=sys.stderr)

    try:
        _stream_to(sys.stdout, engine, context, params)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except (GenerationError, EngineError) as error:
        return _fail(f"generation failed: {error}", EXIT_FAILED)
    stats = engine.last_stats
    print(
        f"[{stats.new_tokens} tokens, first after {stats.time_to_first_token_s:.2f} s, "
        f"{stats.decode_tokens_per_s:.1f} tokens/s, ended by {stats.stop_reason}]",
        file=sys.stderr,
    )
    return 0


def read_text(path: Path) -> str:
    """The text of ``path`` (UTF-8, or UTF-16/UTF-8 with a BOM), with ``\\n`` line ends."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a folder, not a text file") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot read it ({error.strerror})") from None
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise BadInput(
            f"{path}: not {encoding.upper()} text (bad byte at offset {error.start})"
        ) from None
    if "\x00" in text:
        raise BadInput(f"{path}: looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def params_from(args: argparse.Namespace) -> GenerationParams:
    """GenerationParams from the command line; raises ParamsError naming a bad value."""
    return GenerationParams(
        temperature=args.temperature,
        top_k=args.top_k,
        top_p=args.top_p,
        min_p=args.min_p,
        repetition_penalty=args.repetition_penalty,
        max_new_tokens=args.max_new_tokens,
        stop=args.stop,
        stop_strings=tuple(args.stop_strings),
        seed=args.seed,
        n=args.n,
    )


def _stream_to(out: TextIO, engine: Engine, context: str, params: GenerationParams) -> None:
    current = 0
    several = params.n > 1 and not params.greedy
    if several:
        out.write("--- alternative 1 ---\n")
    for delta in engine.stream(context, params):
        if delta.alternative != current:
            current = delta.alternative
            out.write(f"\n--- alternative {current + 1} ---\n")
        out.write(delta.text)
        out.flush()
    out.write("\n")
    out.flush()


def _print_progress(progress: LoadProgress) -> None:
    print(f"{progress.stage}: {progress.percent:.0f}%", file=sys.stderr, flush=True)


def _fail(message: str, code: int) -> int:
    print(f"penwright-cli: {message}", file=sys.stderr)
    return code
