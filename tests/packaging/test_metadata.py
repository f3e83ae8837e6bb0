"""The desktop entry and the AppStream metadata agree with each other and with the package, and
the freedesktop validators accept them (when installed: apt-get install appstream
desktop-file-utils)."""

from __future__ import annotations

import configparser
import datetime
import shutil
import struct
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from penwright import __version__
from penwright.resources import APP_ID, icon_path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
RAW = "https://raw.githubusercontent.com/penwright/penwright/main/"
"""Where the screenshot's URL points: the repository's files as served from its main branch."""


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def _metainfo() -> ET.Element:
    return ET.parse(METAINFO).getroot()


def _scripts() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {**project["scripts"], **project["gui-scripts"]}


def test_the_ids_file_names_and_launchable_agree() -> None:
    component = _metainfo()
    assert component.get("type") == "desktop-application"
    assert component.findtext("id") == APP_ID
    launchable = component.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == DESKTOP.name and DESKTOP.is_file()
    assert not (PACKAGING / "penwright.desktop").exists()
    entry = _desktop_entry()
    assert entry["Icon"] == APP_ID == component.findtext("icon[@type='stock']")
    assert entry["Name"] == component.findtext("name") == "Penwright"


def test_the_entry_runs_the_gui_command_with_any_number_of_files() -> None:
    entry = _desktop_entry()
    command, *arguments = entry["Exec"].split()
    assert command == entry["TryExec"] == "penwright"
    assert _scripts()[command] == "penwright.app.main:main"
    assert arguments == ["%F"]
    from penwright.app.main import parse_arguments

    assert parse_arguments(["a.txt", "b.md"]).files == ["a.txt", "b.md"]


def test_the_metainfo_provides_the_installed_commands() -> None:
    provided = {b.text for b in _metainfo().iterfind("provides/binary")}
    assert provided == set(_scripts())


def test_the_releases_are_dated_newest_first_and_include_this_version() -> None:
    releases = _metainfo().findall("releases/release")
    versions = [r.get("version") for r in releases]
    dates = [datetime.date.fromisoformat(r.get("date", "")) for r in releases]
    assert versions[-2:] == ["0.2.0", "0.1.0"] and dates[-2:] == [
        datetime.date(2026, 12, 1),
        datetime.date(2026, 11, 1),
    ]
    assert dates == sorted(dates, reverse=True)
    assert __version__ in versions


def test_the_metainfo_names_links_rating_developer_and_a_real_screenshot() -> None:
    component = _metainfo()
    assert component.findtext("url[@type='homepage']", "").startswith("https://")
    assert component.find("content_rating[@type='oars-1.1']") is not None
    assert component.findtext("developer/name")
    (screenshot,) = component.iterfind("screenshots/screenshot")
    assert screenshot.findtext("caption")
    image = screenshot.find("image")
    assert image is not None and image.text is not None and image.text.startswith(RAW)
    png = ROOT / image.text.removeprefix(RAW)
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (image.get("width"), image.get("height")) == (str(width), str(height))


def test_the_install_script_puts_each_file_under_the_app_id(tmp_path: Path) -> None:
    result = subprocess.run(
        ["bash", PACKAGING / "install-desktop-entry.sh"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "applications" / DESKTOP.name).read_bytes() == DESKTOP.read_bytes()
    assert (tmp_path / "metainfo" / METAINFO.name).read_bytes() == METAINFO.read_bytes()
    icon = tmp_path / "icons/hicolor/scalable/apps" / f"{APP_ID}.svg"
    assert icon.read_bytes() == icon_path().read_bytes()


def _validator(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install appstream desktop-file-utils)")
    return path


def test_appstreamcli_accepts_the_metainfo() -> None:
    result = subprocess.run(
        [_validator("appstreamcli"), "validate", "--no-net", "--explain", METAINFO],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_file_validate_accepts_the_entry() -> None:
    result = subprocess.run(
        [_validator("desktop-file-validate"), DESKTOP], capture_output=True, text=True, timeout=60
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "error:" not in output and "warning:" not in output, output
