"""penwright-cli: continue a file, diagnose the machine, benchmark the engine and suggestions."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable

from penwright import __version__
from penwright.cli.story_options import add_story_options
from penwright.models.files.logs import configure_logging
from penwright.models.params import LIMITS, GenerationParams, StopMode
from penwright.models.sources.presets import DEFAULT_PRESET, PRESETS
from penwright.models.spec import DEFAULT_MODEL, DEVICES, PRECISIONS

SERVER_KEY_VARIABLE = "PENWRIGHT_SERVER_API_KEY"
"""Where --server's API key comes from: never a command-line argument, which other users of the
machine can read in the process list."""

_DEFAULTS = GenerationParams()
"""The option defaults are the engine's own, so the command line and the app agree."""


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (the help says why)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == []:
            return action.help
        return super()._get_help_string(action)


def _within(name: str, kind: type[int] | type[float]) -> Callable[[str], int | float]:
    """An argparse type: the text as ``kind``, refused (exit 2) outside LIMITS[name]."""
    limit = LIMITS[name]
    whole = kind is int

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if whole else "a number"
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
        if (not whole and math.isnan(value)) or not limit.low <= value <= limit.high:
            raise argparse.ArgumentTypeError(f"must be between {limit.span()}, not {text}")
        return value

    parse.__name__ = kind.__name__  # what argparse calls the type in its own messages
    return parse


_NUMBER_OPTIONS = (
    ("temperature", "sampling temperature, 0 for greedy"),
    ("top_k", "sample among the K likeliest tokens, 0 for all"),
    ("top_p", "nucleus sampling mass, 1 for off"),
    ("min_p", "drop tokens under this share of the likeliest, 0 for off"),
    ("repetition_penalty", "penalty on tokens already there, 1 for none"),
    ("max_new_tokens", "most tokens to generate per alternative"),
    ("context_tokens", "most tokens of the file the model sees"),
    ("no_copy_tokens", "never copy a span this many tokens long from the file, 0 allows copies"),
)
"""The numeric generation options: the parameter (its option is --name-with-dashes) and what it
does. Type, default and range come from GenerationParams and LIMITS."""


def _add_context(sub: argparse._SubParsersAction) -> None:
    context = _add_continue(
        sub,
        "context",
        "print exactly what the model reads to continue FILE, each part marked",
        "Print the text the model reads to continue FILE at its end: FILE's sidecar "
        "(FILE.penwright.json: memory, author's note, lore, banned phrases) and --memory, "
        "--note and --ban applied, each part (memory, lore: NAME, note, story) under a marker "
        "line with its token count, then the tokens against the budget and what was cut. "
        "--raw prints the text alone. Loads the model for its tokenizer; generates nothing.",
    )
    context.add_argument(
        "--raw", action="store_true", help="print the text alone, exactly as the model reads it"
    )


def _add_continue(
    sub: argparse._SubParsersAction,
    name: str = "continue",
    summary: str = "continue FILE's text and print the continuation to stdout",
    description: str = (
        "Continue the text of FILE with the language model. With -n 1 the continuation is "
        "streamed to stdout as it is generated; with -n N each alternative is printed "
        "whole once all are done; with --json one JSON object is printed for scripts. "
        "Progress and figures go to stderr. FILE's sidecar (FILE.penwright.json: memory, "
        "author's note, lore, banned phrases) is applied. Exit codes: 0 done, 1 generation "
        "failed, 2 bad file, option or model, 130 interrupted."
    ),
) -> argparse.ArgumentParser:
    cont = sub.add_parser(
        name, help=summary, description=description, formatter_class=_HelpFormatter
    )
    add_story_options(cont)
    cont.add_argument(
        "file", help="the text file to continue (UTF-8, or UTF-8/UTF-16 with a byte-order mark)"
    )
    cont.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="'default' (the bundled model), style:NAME (penwright-cli styles), a model folder, "
        "a .gguf file or a hub id",
    )
    cont.add_argument("--device", default="auto", choices=DEVICES, help="where to run the model")
    cont.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="weight precision; 'auto' picks the fastest for the device",
    )
    for name, meaning in _NUMBER_OPTIONS:
        default = getattr(_DEFAULTS, name)
        cont.add_argument(
            "--" + name.replace("_", "-"),
            type=_within(name, type(default)),
            default=default,
            help=f"{meaning}; {LIMITS[name].span(' to ')}",
        )
    cont.add_argument(
        "--stop",
        default=_DEFAULTS.stop.value,
        choices=[mode.value for mode in StopMode],
        help="where to end besides --max-new-tokens; 'custom' only at --stop-string",
    )
    cont.add_argument(
        "--server",
        metavar="URL",
        help="stream from an OpenAI-compatible server instead, e.g. http://HOST:8000/v1 (vLLM, "
        "llama.cpp, LM Studio, KoboldCpp, Ollama, penwright-cli serve); its API key, if it "
        f"wants one, comes from the environment variable {SERVER_KEY_VARIABLE}",
    )
    cont.add_argument(
        "--server-model",
        metavar="ID",
        help="the model id on --server (default: the first one it lists)",
    )
    cont.add_argument(
        "--server-preset",
        default=DEFAULT_PRESET,
        choices=sorted(PRESETS),
        help="which kind of server --server is: which sampling settings it honours",
    )
    cont.add_argument(
        "--stop-string",
        action="append",
        default=[],
        dest="stop_strings",
        metavar="TEXT",
        help="also end where TEXT would appear (repeat for several)",
    )
    cont.add_argument(
        "--seed",
        type=_within("seed", int),
        default=_DEFAULTS.seed,
        help="random seed for a repeatable result (default: a fresh one each run)",
    )
    cont.add_argument(
        "-n",
        type=_within("n", int),
        default=_DEFAULTS.n,
        help=f"number of alternative continuations; {LIMITS['n'].span(' to ')}",
    )
    cont.add_argument(
        "--plain",
        action="store_true",
        help="sample without the prose rules (healing of a half-typed word, no markup, "
        "no copies, distinct alternatives, quotes closed at a sentence stop)",
    )
    cont.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object {"alternatives": [...], "stats": {...}} instead of text',
    )
    return cont


def _add_serve(sub: argparse._SubParsersAction) -> None:
    from penwright.models.serving.config import API_KEY_VARIABLE, DEFAULT_HOST, DEFAULT_PORT

    serve = sub.add_parser(
        "serve",
        help="serve the model to other programs (an OpenAI-compatible HTTP API)",
        description=(
            "Load the model once and serve it on an OpenAI-compatible API: GET /v1/models, "
            "POST /v1/completions (streaming too), POST /v1/chat/completions for models with a "
            "chat template, GET /health. Binds 127.0.0.1 unless --host says otherwise; any "
            f"other address needs an API key, best given in the {API_KEY_VARIABLE} environment "
            "variable (an argument is visible to other users of the machine). Ctrl+C stops."
        ),
        formatter_class=_HelpFormatter,
    )
    serve.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="'default' (the bundled model), a model folder, a .gguf file or a hub id",
    )
    serve.add_argument("--device", default="auto", choices=DEVICES, help="where to run the model")
    serve.add_argument(
        "--precision",
        default="auto",
        choices=PRECISIONS,
        help="weight precision; 'auto' picks the fastest for the device",
    )
    serve.add_argument("--host", default=DEFAULT_HOST, help="the address to listen on")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="the port (0: a free one)")
    serve.add_argument(
        "--api-key",
        default=None,
        help=f"the key clients must send as a bearer token; prefer ${API_KEY_VARIABLE}",
    )
    serve.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web origin whose pages may call the server (CORS); repeat for several",
    )
    serve.add_argument(
        "--model-id", default=None, help="the id /v1/models reports (default: from the name)"
    )
    high = int(LIMITS["max_new_tokens"].high)
    serve.add_argument(
        "--max-tokens-limit",
        type=int,
        default=1024,
        help=f"the most tokens one choice may ask for; at most {high}",
    )
    serve.add_argument(
        "--queue-size", type=int, default=16, help="requests that may wait (then 429)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="penwright-cli", description=__doc__, formatter_class=_HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_continue(sub)
    _add_context(sub)
    _add_serve(sub)
    from penwright.cli.train_command import add_commands

    add_commands(sub, _HelpFormatter)

    diag = sub.add_parser(
        "diagnose",
        help="print versions, devices and what the engine would use",
        formatter_class=_HelpFormatter,
    )
    diag.add_argument("--json", action="store_true", help="print the facts as one JSON object")

    bench = sub.add_parser(
        "bench",
        help="benchmark the engine against plain model.generate",
    )
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")

    quality = sub.add_parser(
        "quality",
        help="measure suggestion quality: plain sampling against the prose rules",
    )
    quality.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")

    crash = sub.add_parser(
        "crash-loss",
        help="measure typing lost at SIGKILLs of the real app, and what an autosave costs",
    )
    crash.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")

    style_bench = sub.add_parser(
        "bench-style",
        help="measure learning a style: training speed, memory, perplexity, decode speed",
    )
    style_bench.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")

    spell = sub.add_parser(
        "spell-stall",
        help="measure typing stalls on a 5 MB document with spell checking on and off",
    )
    spell.add_argument("rest", nargs=argparse.REMAINDER, help="the benchmark's own options")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    configure_logging()  # the engine's warnings reach the same log file as the app's
    if argv[:1] == ["bench"] and "--story" in argv:
        from penwright.benchmarks.story_bench import main as story_bench_main

        return int(story_bench_main([arg for arg in argv[1:] if arg != "--story"]) or 0)
    if argv[:1] == ["bench"] and "--serve" in argv:
        from penwright.benchmarks.serve_bench import main as serve_bench_main

        rest = [arg for arg in argv[1:] if arg != "--serve"]
        return int(serve_bench_main(rest) or 0)
    if argv[:1] == ["bench"]:
        # The benchmark parses its own options: argparse's REMAINDER would reject one that comes
        # first ("bench --precision int8").
        from penwright.benchmarks.bench import main as bench_main

        return int(bench_main(argv[1:]) or 0)
    if argv[:1] == ["quality"]:
        from penwright.benchmarks.quality import main as quality_main  # the same reason

        return int(quality_main(argv[1:]) or 0)
    if argv[:1] == ["crash-loss"]:
        from penwright.benchmarks.crash_loss import main as crash_loss_main  # the same reason

        return int(crash_loss_main(argv[1:]) or 0)
    if argv[:1] == ["bench-style"]:
        from penwright.benchmarks.style_bench import main as style_bench_main  # the same reason

        return int(style_bench_main(argv[1:]) or 0)
    if argv[:1] == ["spell-stall"]:
        from penwright.benchmarks.spell_stall import main as spell_stall_main  # the same reason

        return int(spell_stall_main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    if args.command == "continue":
        from penwright.cli.continue_command import run_continue

        return run_continue(args)
    if args.command == "context":
        from penwright.cli.context_command import run_context

        return run_context(args)
    if args.command == "serve":
        from penwright.cli.serve_command import run_serve

        return run_serve(args)
    if args.command in ("train", "styles", "perplexity"):
        from penwright.cli import train_command

        return int(getattr(train_command, f"run_{args.command}")(args))
    if args.command == "diagnose":
        from penwright.models.diagnostics import run_diagnose

        return run_diagnose(as_json=args.json)
    if args.command == "quality":
        from penwright.benchmarks.quality import main as quality_main

        return int(quality_main(args.rest) or 0)
    from penwright.benchmarks.bench import main as bench_main

    return int(bench_main(args.rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
