from __future__ import annotations

from collections.abc import Iterator

import pytest
from llama_cpp_server import serve_bundled_gguf


@pytest.fixture(scope="session")
def llama_cpp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of llama-cpp-python's server serving the bundled GGUF (see llama_cpp_server)."""
    yield from serve_bundled_gguf(tmp_path_factory.mktemp("llama-server") / "server.log")
