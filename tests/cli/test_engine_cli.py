"""penwright-cli continue: bad files, parameters and models give one clear message and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from penwright.cli.continue_command import BadInput, read_text

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "penwright.cli", "continue", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_missing_file_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    result = run_cli(str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--top-p", "7"], "top_p"),
        (["--temperature", "-1"], "temperature"),
        (["--max-new-tokens", "0"], "max_new_tokens"),
        (["--stop", "custom"], "custom"),
    ],
)
def test_nonsense_parameters_are_exit_2_naming_the_parameter(
    tmp_path: Path, flags: list[str], named: str
) -> None:
    document = tmp_path / "notes.txt"
    document.write_text("Once upon a time", encoding="utf-8")
    result = run_cli(str(document), *flags)
    assert result.returncode == 2
    assert named in result.stderr


def test_a_model_that_does_not_exist_is_exit_2(tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    document.write_text("Once upon a time", encoding="utf-8")
    result = run_cli(str(document), "--model", str(tmp_path / "no-such-model"))
    assert result.returncode == 2
    assert "cannot load the model" in result.stderr and "no-such-model" in result.stderr


def test_read_text_handles_boms_and_line_endings(tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("\ufeffLine one\r\nLine two".encode("utf-16-le"))
    assert read_text(utf16) == "Line one\nLine two"
    utf8_bom = tmp_path / "bom.txt"
    utf8_bom.write_bytes(b"\xef\xbb\xbfHello\rworld")
    assert read_text(utf8_bom) == "Hello\nworld"


def test_read_text_refuses_binary_and_undecodable_files(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(BadInput, match=r"image\.png"):
        read_text(binary)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café".encode("latin-1"))
    with pytest.raises(BadInput, match="not UTF-8"):
        read_text(latin1)
