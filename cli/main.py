"""penwright-cli: continue a file, diagnose the machine, benchmark the engine."""

from __future__ import annotations

import argparse
import sys

from penwright import __version__
from penwright.models.files.logs import configure_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="penwright-cli", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    cont = sub.add_parser("continue", help="stream a continuation of FILE's text to stdout")
    cont.add_argument("file")
    cont.add_argument("--model", default="default", help="'default', a folder, a .gguf, a hub id")
    cont.add_argument("--device", default="auto", choices=["auto", "cuda", "mps", "cpu"])
    cont.add_argument("--precision", default="auto")
    cont.add_argument("--temperature", type=float, default=0.8)
    cont.add_argument("--top-k", type=int, default=40)
    cont.add_argument("--top-p", type=float, default=0.95)
    cont.add_argument("--min-p", type=float, default=0.0)
    cont.add_argument("--repetition-penalty", type=float, default=1.0)
    cont.add_argument("--max-new-tokens", type=int, default=48)
    cont.add_argument(
        "--stop", default="sentence", choices=["none", "sentence", "paragraph", "custom"]
    )
    cont.add_argument("--stop-string", action="append", default=[], dest="stop_strings")
    cont.add_argument("--seed", type=int, default=None)
    cont.add_argument("-n", type=int, default=1, help="number of alternatives")

    diag = sub.add_parser("diagnose", help="print versions, devices and what the engine would use")
    diag.add_argument("--json", action="store_true")

    bench = sub.add_parser("bench", help="benchmark the engine against plain model.generate")
    bench.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    configure_logging()
    if argv[:1] == ["bench"]:
        # The benchmark parses its own options: argparse's REMAINDER would reject one that comes
        # first ("bench --precision int8").
        from penwright.benchmarks.bench import main as bench_main

        return int(bench_main(argv[1:]) or 0)
    args = _parser().parse_args(argv)
    if args.command == "continue":
        from penwright.cli.continue_command import run_continue

        return run_continue(args)
    if args.command == "diagnose":
        from penwright.models.diagnostics import run_diagnose

        return run_diagnose(as_json=args.json)
    from penwright.benchmarks.bench import main as bench_main

    return int(bench_main(args.rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
