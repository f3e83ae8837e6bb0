"""The layering of DESIGN.md section 1: import-linter's contracts (pyproject.toml) are kept, and
the app imports no torch until the worker needs it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept(tmp_path: Path) -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    # Run outside the repository, so `penwright` is the installed package and not the folder.
    result = subprocess.run(
        [lint_imports, "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _modules(package: str) -> list[str]:
    folder = ROOT / package
    return sorted(
        f"penwright.{package}."
        + p.relative_to(folder).with_suffix("").as_posix().replace("/", ".")
        for p in folder.rglob("*.py")
        if p.name not in {"__init__.py", "__main__.py"}
    )


def test_models_package_imports_no_qt_and_no_app() -> None:
    code = (
        "import sys, importlib\n"
        f"for m in {_modules('models')!r}: importlib.import_module(m)\n"
        "roots = {'PySide6', 'shiboken6', 'qasync'}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in roots\n"
        "    or m.startswith(('penwright.app', 'penwright.cli', 'penwright.benchmarks')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"models/ imported: {result.stdout.strip()}"


def test_app_modules_do_not_import_torch_at_import_time() -> None:
    code = (
        "import sys, importlib\n"
        f"for m in {_modules('app')!r}: importlib.import_module(m)\n"
        "print(','.join(sorted(m for m in ('torch', 'transformers') if m in sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"app/ imported at import time: {result.stdout.strip()}"


def test_no_module_is_importable_under_a_second_top_level_name() -> None:
    """Only `penwright` is installed: no `app`, `models` or `benchmarks` beside it."""
    code = (
        "import importlib.util\n"
        "print(','.join(n for n in ('app', 'models', 'benchmarks', 'cli')\n"
        "               if importlib.util.find_spec(n) is not None))\n"
    )
    result = subprocess.run(  # outside the repository: what an installed Penwright offers
        [sys.executable, "-c", code], cwd=Path("/"), capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
