"""``penwright-cli train``, ``styles`` and ``perplexity``: learn a writer's style and measure it.

``train`` runs the training child (models.training.worker) and shows its events: a progress line
on stderr (or every event as a JSON line on stdout with --json), then the figures. Ctrl-C
cancels: the child keeps its checkpoint (the same command resumes) and writes no style.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from penwright.models.spec import DEFAULT_MODEL

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


def add_commands(sub: argparse._SubParsersAction, formatter: type[argparse.HelpFormatter]) -> None:
    from penwright.models.training.job import TrainingJob

    defaults = TrainingJob(paths=[], name="")
    train = sub.add_parser(
        "train",
        help="learn a style from your own texts (.txt/.md files or folders)",
        description=(
            "Fine-tune a LoRA adapter of the model on your texts, in a separate process, and "
            "save it as a named style usable as --model style:NAME. Exit codes: 0 done, 1 "
            "failed, 2 bad input, 3 or 130 cancelled (run it again to resume)."
        ),
        formatter_class=formatter,
    )
    train.add_argument("paths", nargs="+", metavar="PATH", help="text files or folders")
    train.add_argument("--name", required=True, help="the style's name")
    train.add_argument("--model", default=DEFAULT_MODEL, help="the base model")
    train.add_argument("--epochs", type=int, default=defaults.epochs, help="passes over the corpus")
    train.add_argument("--rank", type=int, default=defaults.rank, help="LoRA rank")
    train.add_argument(
        "--learning-rate", type=float, default=defaults.learning_rate, help="AdamW learning rate"
    )
    train.add_argument(
        "--max-minutes", type=float, default=defaults.max_minutes, help="stop training after this"
    )
    train.add_argument("--device", default="auto", help="auto, cpu or cuda")
    train.add_argument("--json", action="store_true", help="print every event as a JSON line")

    styles = sub.add_parser(
        "styles", help="list your styles, or delete one", formatter_class=formatter
    )
    styles.add_argument("--delete", metavar="NAME", help="delete the style NAME")
    styles.add_argument("--json", action="store_true", help="print the styles as JSON")

    perplexity = sub.add_parser(
        "perplexity",
        help="print a model's perplexity on a text (lower: it predicts the text better)",
        formatter_class=formatter,
    )
    perplexity.add_argument("file", help="a text file")
    perplexity.add_argument(
        "--model", default=DEFAULT_MODEL, help="'default', a style:NAME, a folder or a .gguf"
    )
    perplexity.add_argument("--device", default="auto", help="auto, cpu or cuda")
    perplexity.add_argument("--precision", default="auto", help="auto, fp32, bf16, int8")


def run_train(args: argparse.Namespace) -> int:
    from penwright.models.training.job import TrainingJob
    from penwright.models.training.process import cancel, events, start_training

    job = TrainingJob(
        paths=[str(Path(p).absolute()) for p in args.paths],
        name=args.name,
        base=args.model,
        epochs=args.epochs,
        rank=args.rank,
        learning_rate=args.learning_rate,
        max_minutes=args.max_minutes,
        device=args.device,
    )
    child, _progress = start_training(job)
    try:
        for event in events(child):
            _show(event, args.json)
        return child.wait()
    except KeyboardInterrupt:
        cancel(child)
        for event in events(child):
            _show(event, args.json)
        child.wait()
        return EXIT_INTERRUPTED


def _show(event: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(event, ensure_ascii=False), flush=True)
        return
    kind = event.get("event")
    if kind == "step":
        print(
            f"\rstep {event['step']}/{event['steps']}  loss {event['loss']:.3f}  "
            f"{event['tokens_per_second']:.0f} tokens/s  {event['seconds_left']:.0f} s left ",
            end="",
            file=sys.stderr,
            flush=True,
        )
    elif kind == "corpus":
        print(
            f"{event['files']} files, {event['words']:,} words, {event['tokens']:,} tokens",
            file=sys.stderr,
        )
        for skipped in event["skipped"]:
            print(f"  skipped {skipped['path']}: {skipped['reason']}", file=sys.stderr)
    elif kind == "done":
        from penwright.models.training.styles import describe_figures, read_style

        style = read_style(event["style"])
        print(file=sys.stderr)
        print(f"saved style {style.name!r}: use --model {style.source}")
        print(describe_figures(style.meta))
        samples = style.meta["samples"]
        print(f"held-out passage: …{samples['prompt']}")
        print(f"  before: {samples['before']}")
        print(f"  after:  {samples['after']}")
    elif kind in ("error", "cancelled"):
        print(f"\npenwright-cli train: {event['message']}", file=sys.stderr)
    elif "message" in event:
        print(event["message"], file=sys.stderr)


def run_styles(args: argparse.Namespace) -> int:
    from penwright.models.training.styles import (
        StyleError,
        delete_style,
        describe_figures,
        list_styles,
    )

    if args.delete:
        try:
            delete_style(args.delete)
        except (StyleError, OSError) as error:
            print(f"penwright-cli styles: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"deleted style {args.delete}")
        return 0
    found = list_styles()
    if args.json:
        print(json.dumps([{"source": s.source, **s.meta} for s in found], ensure_ascii=False))
        return 0
    if not found:
        print("no styles yet: penwright-cli train PATH... --name NAME")
    for style in found:
        corpus = style.meta.get("corpus", {})
        print(f"{style.source}  {style.name}  ({corpus.get('words', 0):,} words)")
        print(f"    {describe_figures(style.meta)}")
    return 0


def run_perplexity(args: argparse.Namespace) -> int:
    from penwright.cli.continue_command import BadInput, read_text
    from penwright.models.errors import ModelLoadError
    from penwright.models.generation.perplexity import evaluate_perplexity
    from penwright.models.loading.loader import load_model
    from penwright.models.spec import ModelSpec

    try:
        text = read_text(Path(args.file))
        loaded = load_model(
            ModelSpec(source=args.model, device=args.device, precision=args.precision)
        )
    except (BadInput, ModelLoadError) as error:
        print(f"penwright-cli perplexity: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    ids = loaded.tokenizer.encode(text)
    if len(ids) < 2:
        print("penwright-cli perplexity: the text is too short to measure", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = evaluate_perplexity(loaded.model, ids)
    print(f"{loaded.info.name}: perplexity {result.perplexity:.2f} over {result.tokens:,} tokens")
    return 0
