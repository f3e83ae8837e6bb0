"""Light, dark or the system's colours for the whole application (Settings > Editor > Theme).

Qt 6.8+ can ask the platform for a colour scheme (QStyleHints.setColorScheme), but many platforms
(most Linux desktops without a portal, the offscreen platform) ignore the request. So a chosen
theme also sets an explicit palette; "system" drops both and lets the platform decide again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from penwright.app.settings.store import Theme

_Role = QPalette.ColorRole
_Group = QPalette.ColorGroup


def _palette(colours: dict[QPalette.ColorRole, str], disabled_text: str) -> QPalette:
    palette = QPalette()
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (_Role.WindowText, _Role.Text, _Role.ButtonText):
        palette.setColor(_Group.Disabled, role, QColor(disabled_text))
    return palette


def dark_palette() -> QPalette:
    """A dark palette with enough contrast for long writing sessions (Fusion's dark colours)."""
    colours = {
        _Role.Window: "#2b2b2b",
        _Role.WindowText: "#e6e6e6",
        _Role.Base: "#1e1e1e",
        _Role.AlternateBase: "#2f2f2f",
        _Role.ToolTipBase: "#3a3a3a",
        _Role.ToolTipText: "#e6e6e6",
        _Role.PlaceholderText: "#8a8a8a",
        _Role.Text: "#e6e6e6",
        _Role.Button: "#353535",
        _Role.ButtonText: "#e6e6e6",
        _Role.BrightText: "#ff6b6b",
        _Role.Light: "#4a4a4a",
        _Role.Midlight: "#3f3f3f",
        _Role.Mid: "#303030",
        _Role.Dark: "#1a1a1a",
        _Role.Shadow: "#000000",
        _Role.Highlight: "#3d6fb4",
        _Role.HighlightedText: "#ffffff",
        _Role.Link: "#7fb2f0",
        _Role.LinkVisited: "#b89cf0",
    }
    return _palette(colours, disabled_text="#7a7a7a")


def light_palette() -> QPalette:
    """A light palette, also when the system itself is dark."""
    colours = {
        _Role.Window: "#efefef",
        _Role.WindowText: "#1a1a1a",
        _Role.Base: "#ffffff",
        _Role.AlternateBase: "#f5f5f5",
        _Role.ToolTipBase: "#ffffdc",
        _Role.ToolTipText: "#1a1a1a",
        _Role.PlaceholderText: "#808080",
        _Role.Text: "#1a1a1a",
        _Role.Button: "#efefef",
        _Role.ButtonText: "#1a1a1a",
        _Role.BrightText: "#ffffff",
        _Role.Light: "#ffffff",
        _Role.Midlight: "#e3e3e3",
        _Role.Mid: "#b8b8b8",
        _Role.Dark: "#9f9f9f",
        _Role.Shadow: "#767676",
        _Role.Highlight: "#308cc6",
        _Role.HighlightedText: "#ffffff",
        _Role.Link: "#0b57d0",
        _Role.LinkVisited: "#6c3fb5",
    }
    return _palette(colours, disabled_text="#a0a0a0")


def apply_theme(theme: Theme) -> None:
    """Give every window the theme's colours; SYSTEM follows the platform again."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    hints = app.styleHints()
    if theme is Theme.SYSTEM:
        hints.unsetColorScheme()
        # A palette that sets nothing makes Qt use the platform's palette again.
        # QApplication's setPalette (not QGuiApplication's) also repaints existing widgets.
        QApplication.setPalette(QPalette())
        return
    dark = theme is Theme.DARK
    hints.setColorScheme(Qt.ColorScheme.Dark if dark else Qt.ColorScheme.Light)
    QApplication.setPalette(dark_palette() if dark else light_palette())
