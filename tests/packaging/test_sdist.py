"""The sdist (MANIFEST.in) carries what a packager needs: the package, its tests, resources,
desktop packaging, LICENSE and README; and a wheel built from it is the same as one from the tree.

Built with setuptools' own backend from this venv (no `build`, no network).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from penwright import __version__

pytestmark = pytest.mark.slow

REQUIRED = [
    "PKG-INFO",
    "pyproject.toml",
    "MANIFEST.in",
    "LICENSE",
    "README.md",
    "py.typed",
    "__main__.py",
    "app/main.py",
    "resources/icons/penwright.svg",
    "resources/samples/welcome.md",
    "resources/screenshots/main-window.png",
    "resources/screenshots/page-light.png",  # the README's
    "resources/screenshots/page-dark.png",
    "packaging/screenshots.py",
    "packaging/io.github.penwright.Penwright.desktop",
    "packaging/io.github.penwright.Penwright.metainfo.xml",
    "packaging/install-desktop-entry.sh",
    "tests/conftest.py",
    "tests/packaging/test_sdist.py",
]


def _backend(call: str, cwd: Path) -> str:
    """Run `setuptools.build_meta.<call>` in cwd; returns the file name it built."""
    result = subprocess.run(
        [sys.executable, "-c", f"import setuptools.build_meta as b; print(b.{call})"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def sdist(source_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    return out / _backend(f"build_sdist({str(out)!r})", source_copy)


def test_the_sdist_carries_tests_resources_packaging_and_licence(
    sdist: Path, source_copy: Path
) -> None:
    prefix = f"penwright-{__version__}/"
    with tarfile.open(sdist) as tar:
        names = {n.removeprefix(prefix) for n in tar.getnames()}
    assert not [n for n in REQUIRED if n not in names]
    tests = {str(p.relative_to(source_copy)) for p in (source_copy / "tests").rglob("*.py")}
    assert tests <= names
    unwanted = (".git/", ".venv/", "build/", "dist/", ".ci/", ".mypy_cache/", ".ruff_cache/")
    assert not [n for n in names if n.startswith(unwanted) or "__pycache__" in n]


def test_a_wheel_built_from_the_sdist_has_the_package_only(sdist: Path, tmp_path: Path) -> None:
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(tmp_path, filter="data")
        else:
            tar.extractall(tmp_path)  # our own sdist, just built
    unpacked = tmp_path / f"penwright-{__version__}"
    out = tmp_path / "wheel"
    out.mkdir()
    wheel = out / _backend(f"build_wheel({str(out)!r})", unpacked)
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/", 1)[0] for n in names} == {
        "penwright",
        f"penwright-{__version__}.dist-info",
    }
    assert "penwright/resources/icons/penwright.svg" in names
    assert f"penwright-{__version__}.dist-info/licenses/LICENSE" in names
    assert not [n for n in names if "/tests/" in n or "/packaging/" in n or "screenshots" in n]
