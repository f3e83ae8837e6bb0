"""Icons, samples and licence texts, installed inside the package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

APP_NAME = "Penwright"
"""The name writers see: window titles, message boxes, the settings and data folders."""
APP_ID = "io.github.penwright.Penwright"
"""The reverse-DNS id: the desktop entry's file name, the AppStream id and the icon's name."""


def icon_path() -> Path:
    """The app icon (SVG) inside the installed package; wheels install unzipped, so a plain file."""
    return Path(str(resources.files(__name__).joinpath("icons", "penwright.svg")))
