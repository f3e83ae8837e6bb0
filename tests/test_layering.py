"""The layering rule of DESIGN.md: models/ never imports Qt or app/."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_models_package_imports_no_qt_and_no_app() -> None:
    modules = sorted(
        "models." + p.relative_to(ROOT / "models").with_suffix("").as_posix().replace("/", ".")
        for p in (ROOT / "models").rglob("*.py")
        if p.name not in {"__init__.py", "__main__.py"}
    )
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "roots = {'PySide6', 'shiboken6', 'app'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"models/ imported: {result.stdout.strip()}"


def test_app_modules_do_not_import_torch_at_import_time() -> None:
    modules = sorted(
        "app." + p.relative_to(ROOT / "app").with_suffix("").as_posix().replace("/", ".")
        for p in (ROOT / "app").rglob("*.py")
        if p.name not in {"__init__.py", "__main__.py"}
    )
    code = (
        "import sys, importlib\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "print(','.join(sorted(m for m in ('torch', 'transformers') if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"app/ imported at import time: {result.stdout.strip()}"
