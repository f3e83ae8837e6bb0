"""penwright-cli continue: every option shows its default and range; bad files, numbers and
models give one clear message and exit 2; -n N prints each alternative whole; --json prints one
object a script can parse."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from penwright import __version__
from penwright.cli import continue_command
from penwright.cli.continue_command import BadInput, read_text
from penwright.cli.main import main
from penwright.models.generation.engine import Engine
from penwright.models.params import LIMITS, GenerationParams, StopMode
from penwright.models.results import Delta, GenerationStats
from penwright.models.spec import DEVICES, PRECISIONS, ModelInfo, ModelSpec

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "penwright.cli", "continue", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("Once upon a time", encoding="utf-8")
    return path


# --- help and version ---------------------------------------------------------------------


def test_help_lists_every_option_with_its_default_and_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["continue", "--help"])
    assert caught.value.code == 0
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines anywhere
    defaults = GenerationParams()
    for option, value in [
        ("--temperature", defaults.temperature),
        ("--top-k", defaults.top_k),
        ("--top-p", defaults.top_p),
        ("--min-p", defaults.min_p),
        ("--repetition-penalty", defaults.repetition_penalty),
        ("--max-new-tokens", defaults.max_new_tokens),
        ("--context-tokens", defaults.context_tokens),
        ("--no-copy-tokens", defaults.no_copy_tokens),
        ("--stop", defaults.stop.value),
        ("-n", defaults.n),
        ("--device", "auto"),
        ("--precision", "auto"),
        ("--model", "default"),
    ]:
        assert option in help_text
        assert f"(default: {value})" in help_text, option
    assert "{" + ",".join(DEVICES) + "}" in help_text
    assert "{" + ",".join(PRECISIONS) + "}" in help_text
    assert "{" + ",".join(mode.value for mode in StopMode) + "}" in help_text
    assert f"1 to {LIMITS['max_new_tokens'].high:g}" in help_text
    for option in ("--stop-string", "--seed", "--json"):
        assert option in help_text


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    assert capsys.readouterr().out.strip() == f"penwright-cli {__version__}"


# --- bad input ----------------------------------------------------------------------------


def test_missing_file_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    result = run_cli(str(missing))
    assert result.returncode == 2
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--top-p", "7"], "argument --top-p: must be between 0.01 and 1, not 7"),
        (["--temperature", "-1"], "argument --temperature: must be between 0 and 5, not -1"),
        (["--temperature", "nan"], "argument --temperature: must be between 0 and 5, not nan"),
        (["--max-new-tokens", "0"], "argument --max-new-tokens: must be between 1 and 2048"),
        (["--top-k", "many"], "argument --top-k: must be a whole number, not 'many'"),
        (["--top-k", "2.5"], "argument --top-k: must be a whole number, not '2.5'"),
        (["-n", "9"], "argument -n: must be between 1 and 8, not 9"),
        (["--seed", "-1"], "argument --seed: must be between 0 and"),
        (["--device", "tpu"], "argument --device: invalid choice: 'tpu'"),
        (["--precision", "int4"], "argument --precision: invalid choice: 'int4'"),
        (["--stop", "custom"], "stop mode 'custom' needs at least one stop string"),
    ],
)
def test_bad_parameters_are_exit_2_with_a_message_naming_them(
    document: Path, flags: list[str], message: str
) -> None:
    result = run_cli(str(document), *flags)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_model_that_does_not_exist_is_exit_2(tmp_path: Path, document: Path) -> None:
    result = run_cli(str(document), "--model", str(tmp_path / "no-such-model"))
    assert result.returncode == 2
    assert "cannot load the model" in result.stderr and "no-such-model" in result.stderr


def test_read_text_reads_like_the_editor_boms_and_line_endings(tmp_path: Path) -> None:
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("\ufeffLine one\r\nLine two".encode("utf-16-le"))
    assert read_text(utf16) == "Line one\nLine two"
    utf8_bom = tmp_path / "bom.txt"
    utf8_bom.write_bytes(b"\xef\xbb\xbfHello\rworld")
    assert read_text(utf8_bom) == "Hello\nworld"


def test_read_text_refuses_binary_undecodable_and_folders(tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(BadInput, match=r"image\.png looks like a binary file"):
        read_text(binary)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café".encode("latin-1"))
    with pytest.raises(BadInput, match=r"latin1\.txt is not a UTF-8 text file"):
        read_text(latin1)
    with pytest.raises(BadInput, match="is a folder"):
        read_text(tmp_path)


# --- output, with a scripted engine --------------------------------------------------------

STATS = GenerationStats(
    prompt_tokens=4, new_tokens=9, time_to_first_token_s=0.1, decode_tokens_per_s=50.0,
    total_s=0.3, stop_reason="length",
)  # fmt: skip
INFO = ModelInfo("scripted", "scripted", "", "cpu", "fp32", 1, 4096)


class ScriptedEngine:
    """Streams the pieces of three alternatives interleaved, as the batched engine does."""

    pieces = (
        Delta(0, "The cat"), Delta(1, "A dog"), Delta(2, "Rain"),
        Delta(1, " barked."), Delta(0, " sat."), Delta(2, " fell.\nThen it"),
        Delta(2, " stopped."),
    )  # fmt: skip

    def load(self, spec: ModelSpec, progress: Any = None) -> ModelInfo:
        return INFO

    def stream(
        self, context: str, params: GenerationParams, cancelled: object = None
    ) -> Iterator[Delta]:
        alternatives = 1 if params.greedy and not params.distinct else params.n
        return iter([d for d in self.pieces if d.alternative < alternatives])

    @property
    def last_stats(self) -> GenerationStats:
        return STATS


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(continue_command, "Engine", ScriptedEngine)


@pytest.mark.usefixtures("scripted")
def test_several_alternatives_are_printed_whole_and_numbered(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["continue", str(document), "-n", "3"]) == 0
    assert capsys.readouterr().out == (
        "--- alternative 1 of 3 ---\nThe cat sat.\n"
        "\n"
        "--- alternative 2 of 3 ---\nA dog barked.\n"
        "\n"
        "--- alternative 3 of 3 ---\nRain fell.\nThen it stopped.\n"
    )


@pytest.mark.usefixtures("scripted")
def test_one_alternative_is_streamed_without_a_header(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["continue", str(document)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "The cat sat.\n"
    assert "9 tokens" in captured.err and "ended by length" in captured.err


@pytest.mark.usefixtures("scripted")
def test_json_is_one_object_with_the_alternatives_and_the_stats(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["continue", str(document), "-n", "3", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line: easy to read from a pipe
    assert json.loads(out) == {
        "alternatives": ["The cat sat.", "A dog barked.", "Rain fell.\nThen it stopped."],
        "stats": {
            "prompt_tokens": 4, "reused_tokens": 0, "new_tokens": 9,
            "time_to_first_token_s": 0.1, "decode_tokens_per_s": 50.0, "total_s": 0.3,
            "cancelled": False, "stop_reason": "length",
        },
    }  # fmt: skip


@pytest.mark.usefixtures("scripted")
def test_plain_greedy_with_several_alternatives_prints_one_and_says_why(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["continue", str(document), "-n", "3", "--temperature", "0", "--plain"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "The cat sat.\n"
    assert "temperature 0 with --plain gives one continuation" in captured.err


@pytest.mark.usefixtures("scripted")
def test_greedy_with_distinct_openings_prints_every_alternative(
    document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["continue", str(document), "-n", "3", "--temperature", "0"]) == 0
    assert capsys.readouterr().out.count("--- alternative") == 3


def test_plain_and_no_copy_tokens_reach_the_params() -> None:
    from penwright.cli.main import _parser

    args = _parser().parse_args(["continue", "f.txt", "--no-copy-tokens", "5"])
    assert continue_command.params_from(args).no_copy_tokens == 5
    assert continue_command.params_from(args).heal
    args = _parser().parse_args(["continue", "f.txt", "--plain"])
    assert continue_command.params_from(args) == GenerationParams().plain()


# --- output, with a real (tiny) model -------------------------------------------------------


def test_json_from_a_real_model_matches_its_streamed_text(
    tiny_gemma: Any, document: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    class TinyEngine(Engine):
        def load(self, spec: ModelSpec, progress: Any = None, **_: Any) -> ModelInfo:
            self.attach(tiny_gemma.model, tiny_gemma.tokenizer, tiny_gemma.info)
            assert self.info is not None
            return self.info

    monkeypatch.setattr(continue_command, "Engine", TinyEngine)
    flags = ["continue", str(document), "--seed", "7", "--max-new-tokens", "6", "--stop", "none"]

    assert main([*flags, "-n", "3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["alternatives"]) == 3
    assert all(isinstance(text, str) for text in result["alternatives"])
    assert result["stats"]["new_tokens"] == 18 and result["stats"]["stop_reason"] == "length"

    assert main([*flags, "--temperature", "0"]) == 0
    streamed = capsys.readouterr().out
    assert main([*flags, "--temperature", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alternatives"] == [streamed.removesuffix("\n")]
