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


def samples_dir() -> Path:
    """The shipped sample documents (the welcome guide among them), never to be overwritten."""
    return Path(str(resources.files(__name__).joinpath("samples")))


def is_shipped_sample(path: Path | str | None) -> bool:
    """True when path is one of the shipped samples (saving there would change the package)."""
    if path is None:
        return False
    try:
        return Path(path).resolve().is_relative_to(samples_dir().resolve())
    except OSError:  # an unreadable link: not one of ours
        return False
