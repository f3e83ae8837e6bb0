"""penwright-cli serve: the real default model served to the openai client and curl from a child
process, stopped by SIGTERM; an unsafe address is refused before any model loads."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import openai
import pytest

from penwright.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_a_non_loopback_address_without_a_key_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PENWRIGHT_API_KEY", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--model", "/no/such/model"]) == 2
    error = capsys.readouterr().err
    assert "set an API key" in error and "PENWRIGHT_API_KEY" in error
    assert "cannot load" not in error  # refused before loading anything


def test_help_prefers_the_environment_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "PENWRIGHT_API_KEY" in help_text and "127.0.0.1" in help_text


@pytest.mark.real_model
def test_serves_the_default_model_until_sigterm() -> None:
    environment = {**os.environ, "PENWRIGHT_API_KEY": "s3cret"}
    child = subprocess.Popen(
        [sys.executable, "-m", "penwright.cli", "serve", "--port", "0", "--device", "cpu"],
        cwd=ROOT,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None
        url = None
        for line in child.stderr:
            found = re.search(r"serving (\S+) at (http://\S+)", line)
            if found:
                model_id, url = found.groups()
                break
        assert url is not None, "the server never said it was ready"
        api = openai.OpenAI(base_url=url, api_key="s3cret", max_retries=0, timeout=120)
        assert [m.id for m in api.models.list().data] == [model_id]
        answer = api.completions.create(
            model=model_id, prompt="The capital of France is", max_tokens=8, temperature=0,
            logprobs=2,
        )  # fmt: skip
        text = answer.choices[0].text
        assert text.strip()  # the 270M model writes " the capital of the country of France."
        assert answer.choices[0].logprobs is not None
        assert "".join(answer.choices[0].logprobs.tokens) == text
        streamed = "".join(
            chunk.choices[0].text
            for chunk in api.completions.create(
                model=model_id,
                prompt="The capital of France is",
                max_tokens=8,
                temperature=0,
                stream=True,
            )
            if chunk.choices
        )
        assert streamed == text
        with pytest.raises(openai.BadRequestError, match="chat template"):
            api.chat.completions.create(
                model=model_id, messages=[{"role": "user", "content": "Hi"}]
            )
        refused = subprocess.run(
            ["curl", "-sS", "-w", "\n%{http_code}", url + "/models"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        body, _, status = refused.stdout.rpartition("\n")
        assert status == "401" and "API key" in json.loads(body)["error"]["message"]
    finally:
        child.send_signal(signal.SIGTERM)
        _, rest = child.communicate(timeout=60)
    assert child.returncode == 0
    assert "stopped after 2 requests" in rest
