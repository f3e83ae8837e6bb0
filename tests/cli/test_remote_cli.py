"""``penwright-cli continue FILE --server URL``: the remote text source from the command line,
against the tests' own server on 127.0.0.1; the key comes from the environment only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from remote_fault_server import MODEL_ID, FaultServer, fault_server

from penwright.cli.main import SERVER_KEY_VARIABLE, main


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with fault_server() as running:
        yield running


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "story.txt"
    path.write_text("The storm came in from the sea, and", encoding="utf-8")
    return path


def test_it_streams_from_the_server_with_the_key_from_the_environment(
    server: FaultServer,
    document: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SERVER_KEY_VARIABLE, "from-the-environment")
    code = main(["continue", str(document), "--server", server.base_url, "--temperature", "0"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out == " The rain fell on the roof.\n"
    assert f"{MODEL_ID} on remote" in err
    assert server.headers[-1]["Authorization"] == "Bearer from-the-environment"
    assert server.bodies[-1]["model"] == MODEL_ID  # the first model it lists
    assert server.bodies[-1]["prompt"] == document.read_text(encoding="utf-8")


def test_alternatives_and_json_come_as_from_the_local_engine(
    server: FaultServer, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["continue", str(document), "--server", server.base_url, "--server-preset", "vllm"]
    assert main([*args, "-n", "2", "--server-model", MODEL_ID, "--stop", "none"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("--- alternative 1 of 2 ---\n The rain fell")
    assert "--- alternative 2 of 2 ---\n The1 rain1" in out


def test_a_server_that_is_not_there_is_one_message(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    assert main(["continue", str(document), "--server", url]) == 2
    _, err = capsys.readouterr()
    assert err.strip().splitlines()[-1] == (
        f"penwright-cli: cannot load the server {url}: Connection refused by {url}: no server is "
        "listening there; is it running?"
    )


def test_a_stream_cut_short_fails_with_exit_code_1(
    server: FaultServer, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.scenario = "cut"
    assert main(["continue", str(document), "--server", server.base_url, "--stop", "none"]) == 1
    _, err = capsys.readouterr()
    assert "generation failed: " in err and "stopped in the middle of the suggestion" in err


def test_the_key_is_no_command_line_option() -> None:
    with pytest.raises(SystemExit):
        main(["continue", "x.txt", "--server", "http://127.0.0.1:1/v1", "--api-key", "k"])
