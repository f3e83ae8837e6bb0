"""Preferences > Editor: the page's controls, their live preview, and the window following once
they are applied."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from penwright.app.editor.typography import Typeface
from penwright.app.settings.dialog import SettingsDialog
from penwright.app.settings.page_controls import CHOSEN_FONT, PREVIEW_SUGGESTION
from penwright.app.settings.pages import EditorPage
from penwright.app.settings.store import PageSettings, Settings
from penwright.app.tasks import detach_loop
from penwright.app.window.main_window import MainWindow
from penwright.app.window.theme import dark_palette
from penwright.models.catalog.listing import CatalogEntry


@pytest.fixture
def page(qtbot: QtBot) -> EditorPage:
    widget = EditorPage()
    qtbot.addWidget(widget)
    widget.load(Settings())
    widget.show()
    return widget


def _cjk_fallback(font: QFont) -> str:
    return next(f for f in font.families() if "CJK" in f)


def test_the_preview_follows_every_control_before_anything_is_saved(page: EditorPage) -> None:
    controls, preview = page.page, page.page.preview
    assert preview.font().pointSize() == 12
    assert _cjk_fallback(preview.font()) == "Noto Serif CJK SC"  # the default: serif
    assert "灯" in preview.toPlainText()  # a line of Chinese to judge the fallback by

    controls.typeface.setCurrentIndex(controls.typeface.findData(Typeface.SANS.value))
    assert _cjk_fallback(preview.font()) == "Noto Sans CJK SC"
    serif_family = page.page.preview.font().family()
    page.font_size.setValue(20)
    assert preview.font().pointSize() == 20
    pitch = preview.spacing.line_pitch()
    controls.line_spacing.setValue(2.0)
    assert preview.spacing.factor == 2.0
    assert preview.spacing.line_pitch() > pitch

    page.theme.setCurrentIndex(page.theme.findData("dark"))
    base = preview.palette().color(QPalette.ColorRole.Base)
    assert base == dark_palette().color(QPalette.ColorRole.Base)
    assert PREVIEW_SUGGESTION in preview.toPlainText()
    assert preview.suggestion_colour() != preview.palette().color(QPalette.ColorRole.Text)

    page.font_family.setCurrentFont(QFont("DejaVu Sans Mono"))  # picking a font chooses it
    assert controls.typeface.currentData() == CHOSEN_FONT
    assert preview.font().family() == "DejaVu Sans Mono" != serif_family


def test_the_page_controls_save_what_they_show(page: EditorPage) -> None:
    controls = page.page
    controls.typeface.setCurrentIndex(controls.typeface.findData(Typeface.SANS.value))
    controls.column_chars.setValue(55)
    controls.line_spacing.setValue(1.8)
    controls.typewriter.setChecked(True)
    saved = page.apply_to(Settings())
    assert saved.page == PageSettings(Typeface.SANS, 55, 1.8, True)
    assert saved.editor.font_family == ""  # a typeface, not one font

    page.load(saved)  # and show it again, untouched
    assert controls.typeface.currentData() == Typeface.SANS.value
    assert not page.font_family.isEnabled()
    assert page.apply_to(Settings()) == saved


def _no_models(user_paths: Sequence[str]) -> list[CatalogEntry]:
    return []


@pytest.fixture
def preferences(qtbot: QtBot, window: MainWindow) -> Iterator[SettingsDialog]:
    dialog = SettingsDialog(window.settings_store, _no_models, [], window)
    qtbot.addWidget(dialog)
    dialog.show()
    if dialog.model_page.listing:
        with qtbot.waitSignal(dialog.model_page.models_listed, timeout=5000):
            pass
    yield dialog
    dialog.model_page.shutdown()
    detach_loop()


def test_applied_page_settings_change_the_window_s_page(
    window: MainWindow, preferences: SettingsDialog
) -> None:
    editor = window.editor
    controls = preferences.editor_page.page
    controls.column_chars.setValue(45)
    controls.line_spacing.setValue(1.2)
    assert editor.page.chars == 70  # nothing changes before Apply
    preferences.buttons.button(QDialogButtonBox.StandardButton.Apply).click()
    assert editor.page.chars == 45
    assert editor.page.spacing.factor == 1.2
    assert window.settings_store.current.page.column_chars == 45
