"""``penwright-cli serve``: the warm model as an OpenAI-compatible server for other programs.

The model loads here, then one owner thread (models.serving.owner) runs the requests the HTTP
server queues, until Ctrl+C or SIGTERM. The line ``serving MODEL at URL`` on stderr says when it
is ready. Exit codes: 0 stopped, 2 bad option, unsafe address or a model that would not load.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from penwright.cli.continue_command import EXIT_BAD_INPUT
from penwright.models.errors import ModelLoadError
from penwright.models.serving.config import API_KEY_VARIABLE, ServeConfig, ServeLimits, UnsafeBind
from penwright.models.spec import LoadProgress, ModelSpec


def run_serve(args: argparse.Namespace) -> int:
    """Run the ``serve`` command with ``args`` from penwright.cli.main; return the exit code."""
    api_key = args.api_key or os.environ.get(API_KEY_VARIABLE) or None
    try:
        limits = ServeLimits(max_tokens=args.max_tokens_limit, queue_size=args.queue_size)
        config = ServeConfig(args.host, args.port, api_key, tuple(args.allowed_origin), limits)
        config.check()
    except (UnsafeBind, ValueError) as error:
        return _fail(str(error))

    from penwright.models.generation.engine import Engine
    from penwright.models.serving.jobs import JobQueue
    from penwright.models.serving.owner import ModelOwner, describe_source
    from penwright.models.serving.server import HttpServer

    engine = Engine()
    try:
        spec = ModelSpec(source=args.model, device=args.device, precision=args.precision)
        engine.load(spec, _print_progress)
    except (ModelLoadError, ValueError) as error:
        return _fail(f"cannot load the model {args.model!r}: {error}")
    served = describe_source(engine, args.model_id)
    queue = JobQueue(limits.queue_size)
    owner = ModelOwner(engine, queue)  # from here on only the owner thread touches the engine
    owner.start()
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda _signal, _frame: stop.set())
    try:
        server = HttpServer(queue, lambda: served, config)
        server.start()
    except OSError as error:
        owner.stop()
        return _fail(str(error))
    info = served.info
    print(f"{info.name} on {info.device} ({info.precision})", file=sys.stderr)
    print(f"serving {served.id} at {server.url}", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
        owner.stop()
    print(f"stopped after {queue.served} requests", file=sys.stderr)
    return 0


def _print_progress(progress: LoadProgress) -> None:
    print(f"{progress.stage}: {progress.percent:.0f}%", file=sys.stderr, flush=True)


def _fail(message: str) -> int:
    print(f"penwright-cli: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT
