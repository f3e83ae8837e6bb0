"""The popup of a suggested token's alternatives, each with how likely the model found it."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu, QWidget

from penwright.models.results import TokenInfo


def shown_token(text: str) -> str:
    """A token's text as a menu shows it: blanks and line breaks made visible."""
    return text.replace(" ", "\u2423").replace("\n", "\u21b5") or "\u2205"


def token_menu(token: TokenInfo, parent: QWidget) -> QMenu:
    """One entry per alternative, best first; the token now suggested is checked. Each entry's
    data is its TokenChoice."""
    menu = QMenu(parent)
    menu.setObjectName("token_alternatives")
    menu.setToolTipsVisible(True)
    for choice in token.top:
        action = menu.addAction(f"{shown_token(choice.text)}\t{choice.probability:.0%}")
        action.setData(choice)
        action.setCheckable(True)
        action.setChecked(choice.text == token.text)
        action.setToolTip(f"Continue from \u201c{choice.text}\u201d")
    return menu
