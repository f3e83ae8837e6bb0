"""The Engine: owns one loaded model and streams continuations of a text.

Threading contract: an Engine is NOT thread-safe. One thread (the app's inference worker) owns it
and calls every method. The only object shared with other threads is the ``cancelled`` Event
passed to ``stream``, which any thread may set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from models.params import GenerationParams
from models.results import Delta, GenerationStats
from models.spec import LoadProgress, ModelInfo, ModelSpec

ProgressCallback = Callable[[LoadProgress], None]


class Engine:
    """A warm causal language model with a prefix KV cache. See the module docstring for threads."""

    def load(self, spec: ModelSpec, progress: ProgressCallback | None = None) -> ModelInfo:
        raise NotImplementedError

    @property
    def info(self) -> ModelInfo | None:
        raise NotImplementedError

    @property
    def last_stats(self) -> GenerationStats:
        raise NotImplementedError

    def stream(
        self,
        context: str,
        params: GenerationParams,
        cancelled: threading.Event | None = None,
    ) -> Iterator[Delta]:
        raise NotImplementedError
