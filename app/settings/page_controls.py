"""The writer's page on the Editor settings page: typeface, text column, line spacing,
typewriter scrolling, and a preview that shows the choice (font, spacing, theme, a suggestion's
colour, a line of Chinese) as the controls change, before OK or Apply saves it.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QColor, QFont, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFontComboBox,
    QFormLayout,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from penwright.app.editor.ghost_drawing import muted_colour
from penwright.app.editor.line_spacing import LineSpacing
from penwright.app.editor.typography import Typeface, font_families, page_font
from penwright.app.settings.store import COLUMN_CHARS, LINE_SPACING, PageSettings, Settings, Theme
from penwright.app.window.theme import dark_palette, light_palette

CHOSEN_FONT = "chosen"  # the typeface entry for "the font chosen below"
PREVIEW_TEXT = (
    "The lamps came on one by one along the river, and she walked home slowly.",
    "灯一盏一盏地亮了起来，她沿着河慢慢地走回家。",  # noqa: RUF001 (full-width comma meant)
)
PREVIEW_SUGGESTION = " The rain had stopped."
_PREVIEW_LINES = 5  # tall enough for both paragraphs at the widest spacing


class PagePreview(QPlainTextEdit):
    """A few lines as the editor would show them, a suggestion's muted colour included."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFocusPolicy(self.focusPolicy().NoFocus)
        self.spacing = LineSpacing(self)
        self.setPlainText("\n".join(PREVIEW_TEXT))
        self._suggestion_start = len(PREVIEW_TEXT[0])

    def show_page(self, settings: Settings) -> None:
        e, p = settings.editor, settings.page
        font = page_font(p.typeface, e.font_family, e.font_size)
        self.setFont(font)
        self.setPalette(_palette(e.theme))
        self.spacing.set_factor(p.line_spacing)
        self._show_suggestion()
        pitch = self.spacing.line_pitch()
        self.setMinimumHeight(int(pitch * _PREVIEW_LINES))

    def _show_suggestion(self) -> None:
        """The suggestion's text after the first paragraph, in the muted colour of ghost text."""
        document = self.document()
        first = document.firstBlock()
        cursor = QTextCursor(first)
        cursor.setPosition(first.position() + self._suggestion_start)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        fmt = QTextCharFormat()
        fmt.setForeground(self.suggestion_colour())
        cursor.removeSelectedText()
        cursor.insertText(PREVIEW_SUGGESTION, fmt)

    def suggestion_colour(self) -> QColor:
        return muted_colour(self.palette())


def _palette(theme: Theme) -> QPalette:
    if theme is Theme.DARK:
        return dark_palette()
    if theme is Theme.LIGHT:
        return light_palette()
    return QApplication.palette()


class PageControls(QObject):
    """The page's controls, added to the Editor page's form; they share its font, size and theme
    controls, and choosing a font there makes the typeface "the font chosen below"."""

    def __init__(
        self, font_family: QFontComboBox, font_size: QSpinBox, theme: QComboBox, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._font_family = font_family
        self._font_size = font_size
        self._theme = theme
        self._typeface_kept = Typeface.SERIF  # the style of CJK fallbacks for a chosen font
        self.typeface = QComboBox()
        self.typeface.addItem("Serif", Typeface.SERIF.value)
        self.typeface.addItem("Sans serif", Typeface.SANS.value)
        self.typeface.addItem("The font below", CHOSEN_FONT)
        self.column_chars = QSpinBox()
        self.column_chars.setRange(*COLUMN_CHARS)
        self.column_chars.setSuffix(" characters")
        self.column_chars.setMaximumWidth(200)
        self.line_spacing = QDoubleSpinBox()
        self.line_spacing.setRange(*LINE_SPACING)
        self.line_spacing.setDecimals(2)
        self.line_spacing.setSingleStep(0.1)
        self.line_spacing.setSuffix(" \N{MULTIPLICATION SIGN}")
        self.line_spacing.setMaximumWidth(200)
        self.typewriter = QCheckBox("&Typewriter scrolling: keep the line I write in the middle")
        self.preview = PagePreview()
        self.typeface.currentIndexChanged.connect(self._on_typeface_changed)
        font_family.currentFontChanged.connect(self._on_font_chosen)
        for box in (self.column_chars, self.line_spacing, font_size):
            box.valueChanged.connect(self.update_preview)
        theme.currentIndexChanged.connect(self.update_preview)

    def add_typeface_row(self, form: QFormLayout) -> None:
        form.addRow("T&ypeface:", self.typeface)

    def add_page_rows(self, form: QFormLayout) -> None:
        form.addRow("Text &column:", self.column_chars)
        form.addRow("&Line spacing:", self.line_spacing)
        form.addRow("", self.typewriter)
        form.addRow("Preview:", self.preview)

    def load(self, settings: Settings) -> None:
        p = settings.page
        self._typeface_kept = p.typeface
        wanted = CHOSEN_FONT if settings.editor.font_family else p.typeface.value
        self.typeface.setCurrentIndex(max(self.typeface.findData(wanted), 0))
        self.column_chars.setValue(p.column_chars)
        self.line_spacing.setValue(p.line_spacing)
        self.typewriter.setChecked(p.typewriter)
        self._on_typeface_changed()

    def chosen_family(self) -> str:
        """The font family to save: "" when a typeface (serif, sans) is chosen instead."""
        if self.typeface.currentData() != CHOSEN_FONT:
            return ""
        return self._font_family.currentFont().family()

    def page_settings(self) -> PageSettings:
        data = self.typeface.currentData()
        typeface = self._typeface_kept if data == CHOSEN_FONT else Typeface(data)
        return PageSettings(
            typeface=typeface,
            column_chars=self.column_chars.value(),
            line_spacing=round(self.line_spacing.value(), 2),
            typewriter=self.typewriter.isChecked(),
        )

    def shown_settings(self, settings: Settings) -> Settings:
        """settings with what the controls show now (for the preview)."""
        editor = replace(
            settings.editor,
            font_family=self.chosen_family(),
            font_size=self._font_size.value(),
            theme=Theme(self._theme.currentData()),
        )
        return replace(settings, editor=editor, page=self.page_settings())

    @Slot()
    def update_preview(self) -> None:
        self.preview.show_page(self.shown_settings(Settings()))

    @Slot()
    def _on_typeface_changed(self) -> None:
        data = self.typeface.currentData()
        combo = self._font_family
        combo.setEnabled(data == CHOSEN_FONT)
        if data != CHOSEN_FONT:
            # Greyed, the font box names the face the typeface writes in here.
            families = font_families(Typeface(data))
            if families:
                combo.blockSignals(True)
                combo.setCurrentFont(QFont(families[0]))
                combo.blockSignals(False)
        self.update_preview()

    @Slot()
    def _on_font_chosen(self) -> None:
        # Picking a font means writing in it: the typeface follows.
        self.typeface.setCurrentIndex(self.typeface.findData(CHOSEN_FONT))
        self.update_preview()
