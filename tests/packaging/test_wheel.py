"""A non-editable install runs: the wheel holds only `penwright/` (with its icons, samples and
licence), installs into a fresh venv, prints its version and starts the window with its icon.

Offline and quick: the wheel is built without build isolation (setuptools comes from this venv),
the fresh venv has no pip and gets the wheel with --no-deps; its dependencies (torch, PySide6...)
come from this venv's site-packages, appended after the fresh venv's own through a .pth file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from penwright import __version__

pytestmark = pytest.mark.slow

ICON_PIXEL = "#2f3e5c"
"""The colour of penwright.svg's rounded square, near its top-left corner."""


def _run(
    args: list[str | Path], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(source_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "-w",
            out,
            source_copy,
        ]
    )
    (built,) = out.glob("penwright-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed, and this venv's packages visible after its own."""
    venv = tmp_path_factory.mktemp("venv") / "installed"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            wheel,
        ]
    )
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    # Plain directories, not site dirs: this venv's editable penwright (a .pth hook) stays off.
    paths = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(site.stdout.strip(), "zz-project-packages.pth").write_text("\n".join(sorted(paths)))
    return venv


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Offscreen, with no settings, journal or cache of the user's touched."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_the_wheel_holds_only_the_package_with_its_resources(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = f"penwright-{__version__}.dist-info"
    assert {n.split("/", 1)[0] for n in names} == {"penwright", dist_info}
    assert "penwright/resources/icons/penwright.svg" in names
    assert "penwright/resources/samples/welcome.md" in names
    for guide in ("welcome-guide.md", "welcome-guide-zh.md"):  # the first start opens one
        assert f"penwright/resources/samples/{guide}" in names
    assert "penwright/__main__.py" in names and "penwright/app/main.py" in names
    assert f"{dist_info}/licenses/LICENSE" in names
    assert not [n for n in names if "/tests/" in n or n.startswith("penwright/packaging/")]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "penwright = penwright.app.main:main" in entry_points
    assert "penwright-cli = penwright.cli.main:main" in entry_points


@pytest.mark.parametrize(
    "command",
    [["python", "-m", "penwright"], ["penwright"], ["penwright-cli"]],
    ids=["python -m penwright", "penwright", "penwright-cli"],
)
def test_the_installed_commands_print_the_version(
    venv: Path, env: dict[str, str], tmp_path: Path, command: list[str]
) -> None:
    program = command[-1] if command[0] != "python" else "penwright"
    result = _run([venv / "bin" / command[0], *command[1:], "--version"], env=env, cwd=tmp_path)
    assert result.stdout.strip() == f"{program} {__version__}"


START = textwrap.dedent(
    """
    import sys

    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QGuiApplication

    import penwright
    from penwright.app.main import StartupHooks, main
    from penwright.app.window.about_dialog import penwright_licence


    class Report(StartupHooks):
        def built(self, parts):
            self.window = parts.window

        def started(self):
            icon = self.window.windowIcon()
            image = icon.pixmap(64, 64).toImage()
            print("package", penwright.__file__)
            print("icon-null", icon.isNull())
            print("icon-pixel", image.pixelColor(10, 10).name() if not image.isNull() else None)
            print("desktop-file", QGuiApplication.desktopFileName())
            print("licence", penwright_licence().splitlines()[0].strip())
            QTimer.singleShot(0, self.window.close)


    sys.exit(main(["--no-model"], Report()))
    """
)


def test_the_installed_app_starts_with_its_icon(
    venv: Path, env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "start.py"
    script.write_text(START)
    result = _run([venv / "bin" / "python", script], env=env, cwd=tmp_path)
    report = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert Path(report["package"]).is_relative_to(venv), report  # not the checkout
    assert report["icon-null"] == "False"
    assert report["icon-pixel"] == ICON_PIXEL  # the SVG rendered, not just a name
    assert report["desktop-file"] == "io.github.penwright.Penwright"
    assert report["licence"] == "Apache License"
