"""packaging/screenshots.py: the README's screenshots come from the real app, light and dark,
with a suggestion showing (here without a model, so it takes seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]


def test_the_script_writes_a_light_and_a_dark_page(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    script = ROOT / "packaging" / "screenshots.py"
    done = subprocess.run(
        [sys.executable, str(script), "--no-model", "--output", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "suggestion: ' She lifted the lamp" in done.stdout
    light, dark = (QImage(str(tmp_path / name)) for name in ("page-light.png", "page-dark.png"))
    assert not light.isNull() and not dark.isNull()
    assert (light.width(), light.height()) == (1100, 700)
    # the page's background, in the margin beside the text column: light in one, dark in the other
    margin = (light.width() // 10, light.height() * 3 // 4)
    assert light.pixelColor(*margin).lightness() > 200
    assert dark.pixelColor(*margin).lightness() < 60


def test_the_readme_shows_both_after_the_set_up_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert readme[3].startswith("python3 -m venv .venv") and readme[4].startswith("python3 -m")
    for name in ("page-light.png", "page-dark.png"):
        assert (ROOT / "resources" / "screenshots" / name).is_file()
        line = next(i for i, text in enumerate(readme) if f"resources/screenshots/{name}" in text)
        assert 5 < line < 25
