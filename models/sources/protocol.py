"""TextSource: what the inference worker streams continuations from.

The local engine (penwright.models.generation.engine.Engine) is one; remote OpenAI-compatible
servers and the app's own HTTP server plug in at the same seam. The worker
(penwright.app.inference.controller) knows nothing else about where text comes from.

Threading contract, for every implementation:

- One owner thread. A text source is NOT thread-safe: one thread at a time (the loader thread
  while it loads, then the inference worker, which it is handed to) calls every method and
  iterates the generator ``stream`` returns. An HTTP server feeds its requests to that one owner,
  it never calls a source from its own threads.
- ``cancelled`` is the only object shared with other threads: any thread (the GUI's) may set it
  at any time. The source checks it between steps (before every decode step, between prefill
  chunks, between the chunks a remote server sends), so a cancel takes effect within about
  100 ms, and then ends the generator early with ``last_stats.stop_reason == "cancelled"``.
- The caller may stop iterating at any yield and ``close()`` the generator; the source must be
  ready for the next request afterwards (caches consistent, connections released).
- ``load`` may block for a long time (downloads, conversion) and reports through ``progress``,
  which runs in the loading thread; raising from ``progress`` abandons the load.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from penwright.models.params import GenerationParams
from penwright.models.results import Delta, GenerationStats
from penwright.models.spec import ModelInfo, ModelSpec, ProgressCallback


@runtime_checkable
class TextSource(Protocol):
    """Streams continuations of a text. One owner thread; see the module docstring."""

    def load(self, spec: ModelSpec, progress: ProgressCallback | None = None) -> ModelInfo:
        """Make the model ``spec`` names ready; on failure raise (ModelLoadError and kin) and
        keep whatever was ready before."""
        ...

    @property
    def info(self) -> ModelInfo | None:
        """The model serving now, None before the first load (and after ``close``)."""
        ...

    @property
    def last_stats(self) -> GenerationStats:
        """Figures of the last request, complete once its generator has ended or been closed."""
        ...

    def stream(
        self, context: str, params: GenerationParams, cancelled: threading.Event
    ) -> Iterator[Delta]:
        """Continue ``context``: yield Delta(alternative, text) pieces of stable text (never a
        piece that a later one takes back). Bad arguments raise at once (ParamsError), not at
        the first ``next``."""
        ...

    def close(self) -> None:
        """Release the model (memory, GPU, connections). Safe to call twice; afterwards
        ``stream`` raises until another ``load``."""
        ...
