"""The Story panel (a dock beside the text): Memory, Author's note and its depth, Lore entries
with their keys, and the Banned phrases of one document.

The panel only shows and edits values (models.story.story): ``show_story`` fills it, and
``edited`` says the writer changed something, a moment after they pause, so one burst of
typing is one change; ``story()`` and ``banned_phrases()`` read what it holds. Which document
it shows, and where the values are kept, is story_room.py's business.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from penwright.models.story.story import MAX_NOTE_DEPTH, LoreEntry, StoryContext

_EDIT_PAUSE_MS = 300  # a burst of typing in a box is one change


class StoryPanel(QDockWidget):
    """Edits one document's story and ban list. GUI thread."""

    edited = Signal()  # the writer changed something (after a short pause)
    context_requested = Signal()  # "Show Context…": what the model will read next

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Story", parent)
        self.setObjectName("story_panel")
        self._lore: list[LoreEntry] = []
        self._note_depth_default = StoryContext().note_depth
        self._scan_chars = StoryContext().scan_chars
        self._filling = False  # show_story is filling the boxes: not the writer's edit
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(_EDIT_PAUSE_MS)
        self._pause.timeout.connect(self.edited)

        body = QWidget()
        layout = QVBoxLayout(body)
        self.document_label = QLabel("")
        self.document_label.setObjectName("story_document")
        layout.addWidget(self.document_label)

        self.memory_edit = self._text_box(
            "What the model always reads first: the premise, characters, style.", 90
        )
        layout.addWidget(self._group("&Memory", self.memory_edit))

        self.note_edit = self._text_box(
            "A short instruction near the cursor, e.g. [Tone: tense]", 50
        )
        self.depth_spin = QSpinBox()
        self.depth_spin.setRange(1, MAX_NOTE_DEPTH)
        self.depth_spin.setSuffix(" paragraphs before the cursor")
        self.depth_spin.valueChanged.connect(self._on_changed)
        note_box = QWidget()
        note_layout = QVBoxLayout(note_box)
        note_layout.setContentsMargins(0, 0, 0, 0)
        note_layout.addWidget(self.note_edit)
        note_layout.addWidget(self.depth_spin)
        layout.addWidget(self._group("Author's &note", note_box))

        layout.addWidget(self._group("&Lore", self._build_lore()))

        self.banned_edit = self._text_box("One phrase a line: never written by the model.", 60)
        layout.addWidget(self._group("&Banned phrases", self.banned_edit))

        self.context_button = QPushButton("Show &Context…")
        self.context_button.setToolTip("Exactly what the model will read for the next suggestion")
        self.context_button.clicked.connect(self.context_requested)
        layout.addWidget(self.context_button)
        layout.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self.setMinimumWidth(300)

    # -- building -------------------------------------------------------------------------------

    def _text_box(self, placeholder: str, height: int) -> QPlainTextEdit:
        box = QPlainTextEdit()
        box.setPlaceholderText(placeholder)
        box.setMinimumHeight(height)
        box.setTabChangesFocus(True)
        box.textChanged.connect(self._on_changed)
        return box

    @staticmethod
    def _group(title: str, content: QWidget) -> QGroupBox:
        group = QGroupBox(title.replace("&", ""))
        layout = QVBoxLayout(group)
        layout.addWidget(content)
        return group

    def _build_lore(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.lore_list = QListWidget()
        self.lore_list.setMaximumHeight(100)
        self.lore_list.currentRowChanged.connect(self._show_entry)
        layout.addWidget(self.lore_list)
        buttons = QHBoxLayout()
        self.add_lore_button = QPushButton("&Add")
        self.add_lore_button.clicked.connect(self.add_entry)
        self.remove_lore_button = QPushButton("&Remove")
        self.remove_lore_button.clicked.connect(self.remove_entry)
        buttons.addWidget(self.add_lore_button)
        buttons.addWidget(self.remove_lore_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.entry_form = QWidget()
        form = QFormLayout(self.entry_form)
        form.setContentsMargins(0, 0, 0, 0)
        self.name_edit = QLineEdit()
        self.keys_edit = QLineEdit()
        self.keys_edit.setPlaceholderText("Ahab, captain, /cap(tain)?\\s+ahab/")
        self.keys_edit.setToolTip(
            "Comma-separated. A word or phrase matches as a whole word, in any case; "
            "/…/ is a regular expression. The entry is read while a key occurs near the cursor."
        )
        self.entry_text = QPlainTextEdit()
        self.entry_text.setMinimumHeight(60)
        self.entry_text.setTabChangesFocus(True)
        self.enabled_check = QCheckBox("Use this entry")
        form.addRow("Name", self.name_edit)
        form.addRow("Keys", self.keys_edit)
        form.addRow("Text", self.entry_text)
        form.addRow("", self.enabled_check)
        for signal in (self.name_edit.textChanged, self.keys_edit.textChanged):
            signal.connect(self._on_entry_edited)
        self.entry_text.textChanged.connect(self._on_entry_edited)
        self.enabled_check.toggled.connect(self._on_entry_edited)
        layout.addWidget(self.entry_form)
        self._show_entry(-1)
        return box

    # -- values in and out ---------------------------------------------------------------------

    def show_story(self, title: str, story: StoryContext, banned: tuple[str, ...]) -> None:
        """Fill the panel with a document's values (not an edit: ``edited`` stays quiet)."""
        self._pause.stop()
        self._filling = True
        try:
            self.document_label.setText(title)
            self.memory_edit.setPlainText(story.memory)
            self.note_edit.setPlainText(story.note)
            self.depth_spin.setValue(story.note_depth)
            self._scan_chars = story.scan_chars
            self._lore = list(story.lore)
            self.lore_list.clear()
            for entry in self._lore:
                self.lore_list.addItem(QListWidgetItem(_entry_title(entry)))
            self.lore_list.setCurrentRow(0 if self._lore else -1)
            self._show_entry(self.lore_list.currentRow())
            self.banned_edit.setPlainText("\n".join(banned))
        finally:
            self._filling = False

    def story(self) -> StoryContext:
        return StoryContext(
            memory=self.memory_edit.toPlainText(),
            note=self.note_edit.toPlainText(),
            note_depth=self.depth_spin.value(),
            lore=tuple(self._lore),
            scan_chars=self._scan_chars,
        )

    def banned_phrases(self) -> tuple[str, ...]:
        phrases: list[str] = []
        for line in self.banned_edit.toPlainText().splitlines():
            if line.strip() and line.strip() not in phrases:
                phrases.append(line.strip())
        return tuple(phrases)

    def flush(self) -> None:
        """Say now what a pending pause would say soon (before the panel shows another one)."""
        if self._pause.isActive():
            self._pause.stop()
            self.edited.emit()

    # -- lore entries --------------------------------------------------------------------------

    @Slot()
    def add_entry(self) -> None:
        self._lore.append(LoreEntry(f"Entry {len(self._lore) + 1}"))
        self.lore_list.addItem(QListWidgetItem(_entry_title(self._lore[-1])))
        self.lore_list.setCurrentRow(len(self._lore) - 1)
        self.name_edit.setFocus()
        self.name_edit.selectAll()
        self._on_changed()

    @Slot()
    def remove_entry(self) -> None:
        row = self.lore_list.currentRow()
        if not 0 <= row < len(self._lore):
            return
        del self._lore[row]
        self._filling = True
        try:
            self.lore_list.takeItem(row)
        finally:
            self._filling = False
        self._show_entry(self.lore_list.currentRow())
        self._on_changed()

    @Slot(int)
    def _show_entry(self, row: int) -> None:
        has_entry = 0 <= row < len(self._lore)
        self.entry_form.setEnabled(has_entry)
        self.remove_lore_button.setEnabled(has_entry)
        entry = self._lore[row] if has_entry else LoreEntry("")
        filling, self._filling = self._filling, True
        try:
            self.name_edit.setText(entry.name)
            self.keys_edit.setText(", ".join(entry.keys))
            self.entry_text.setPlainText(entry.text)
            self.enabled_check.setChecked(entry.enabled)
        finally:
            self._filling = filling

    @Slot()
    def _on_entry_edited(self) -> None:
        row = self.lore_list.currentRow()
        if self._filling or not 0 <= row < len(self._lore):
            return
        keys = tuple(key.strip() for key in _split_keys(self.keys_edit.text()) if key.strip())
        entry = LoreEntry(
            self.name_edit.text(), keys, self.entry_text.toPlainText(),
            self.enabled_check.isChecked(),
        )  # fmt: skip
        self._lore[row] = entry
        item = self.lore_list.item(row)
        if item is not None:
            item.setText(_entry_title(entry))
        self._on_changed()

    @Slot()
    def _on_changed(self) -> None:
        if not self._filling:
            self._pause.start()


def _entry_title(entry: LoreEntry) -> str:
    keys = ", ".join(entry.keys) or "no keys"
    off = "" if entry.enabled else " (off)"
    return f"{entry.name or '(unnamed)'} — {keys}{off}"


def _split_keys(text: str) -> list[str]:
    """Keys are comma-separated, but a comma inside /regex/ belongs to the regex."""
    keys: list[str] = []
    current = ""
    in_regex = False
    for character in text:
        if character == "/" and (in_regex or not current.strip()):
            in_regex = not in_regex
        if character == "," and not in_regex:
            keys.append(current)
            current = ""
        else:
            current += character
    keys.append(current)
    return keys
