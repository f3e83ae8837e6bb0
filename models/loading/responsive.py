"""Keep a model load in a worker thread from freezing the other threads (the GUI) for long.

A worker thread only stalls the GUI thread while it holds Python's GIL without a break. Pure
Python code hands the GIL over every 5 ms, and torch's kernels release it, but three parts of a
load hold it for hundreds of milliseconds at a time (measured with benchmarks/gui_stall.py on the
2-core development machine, default model):

- ``import torch`` dlopens libtorch_cpu (430 MB) inside ``_imp.create_dynamic``, with the GIL
  held: about 300-400 ms. ``preload_torch_libraries`` dlopens it beforehand through a ctypes
  foreign call, which releases the GIL, so torch's own import finds it loaded.
- Full (generation 2) cyclic garbage collections: importing torch and transformers and loading
  a model creates about 580,000 tracked objects, and every full collection walks all of them,
  130-420 ms each, in whichever thread happens to trigger it (also later, while generating).
  ``collections_paused`` pauses automatic collection during the load and then freezes the
  survivors (``gc.freeze``), so later collections skip them.
- Building the Rust tokenizer (``tokenizers.Tokenizer.from_file``, 0.8-2.3 s for Gemma's 262k
  tokens and 515k merges) cannot be split or made to release the GIL. Converted models therefore
  load a SentencePiece model instead (models.loading.sentencepiece_tokenizer), whose loading and
  encoding release it: the "Loading tokenizer" stage's longest gap fell from 1,143 ms to 17-24 ms.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_TORCH_CPU_LIBRARY = {"linux": "libtorch_cpu.so", "darwin": "libtorch_cpu.dylib"}


def preload_torch_libraries() -> bool:
    """dlopen torch's CPU library without holding the GIL, before torch is first imported.

    Best effort: returns whether it loaded the library. When it cannot (another platform, a
    torch layout it does not know, a load error), ``import torch`` simply loads it itself and
    reports any error in its usual way.
    """
    name = _TORCH_CPU_LIBRARY.get(sys.platform)
    if name is None or "torch" in sys.modules:
        return False
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return False
    library = Path(spec.origin).parent / "lib" / name
    if not library.is_file() or any(library.parent.glob("libtorch_cuda*")):
        # A CUDA build preloads its CUDA libraries its own way first (torch/__init__.py
        # _load_global_deps); loading libtorch_cpu before that is untested there, so not tried.
        return False
    try:
        # A function called through ctypes.CDLL (unlike ctypes.CDLL's own constructor, which
        # dlopens with the GIL held) runs with the GIL released. The same flags as Python's
        # extension-module imports; the library stays loaded for the life of the process.
        dlopen = ctypes.CDLL(None).dlopen
    except (OSError, AttributeError):
        return False
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    return bool(dlopen(os.fsencode(library), os.RTLD_NOW | os.RTLD_LOCAL))


@contextmanager
def collections_paused() -> Iterator[None]:
    """Pause automatic garbage collection for a load; on success freeze what exists.

    Frozen objects (the imported modules, the loaded model) are skipped by every later
    collection; they are still freed by reference counting when dropped (the model and
    tokenizer hold no reference cycles). The price: cyclic garbage made during the load
    (about 10,000 objects for the default model) is never collected. Nested uses and a
    process that disabled collection itself are respected: only the outermost use re-enables
    it. Process-wide, like the collector: another thread's garbage waits too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


def import_inference_libraries() -> None:
    """Import torch and transformers without long GIL holds; call it first in a worker thread.

    Importing ``models.generation.engine`` (or anything else that imports torch) first forfeits
    most of
    the gain: call this before.
    """
    preload_torch_libraries()
    with collections_paused():
        import torch  # noqa: F401
        import transformers  # noqa: F401
        from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: F401
