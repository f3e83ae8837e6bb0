"""The simple pages of the settings dialog: Device & precision, Generation, Editor, Keys.

Each page shows one part of Settings: ``load(settings)`` fills its controls, ``apply_to(settings)``
returns settings with that part replaced, or raises InputError naming the bad control.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFontComboBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from penwright.app.documents.spelling import (
    FOLLOW_SYSTEM,
    LANGUAGE_NAMES,
    OFF,
    available_languages,
    system_language,
)
from penwright.app.editor.keymap import ACTION_LABELS, Action
from penwright.app.settings.page_controls import PageControls
from penwright.app.settings.store import (
    EditorSettings,
    Settings,
    Theme,
    binding_conflict,
    conflict_message,
    machine_cores,
    normalise_key,
    typing_key_problem,
)
from penwright.models.errors import ParamsError
from penwright.models.loading.device_probe import DeviceInfo
from penwright.models.params import LIMITS, StopMode
from penwright.models.spec import PRECISIONS


class InputError(ValueError):
    """A control holds something that cannot be saved; the message names it."""


class SettingsPage(QWidget):
    title = ""

    def load(self, settings: Settings) -> None:
        raise NotImplementedError

    def apply_to(self, settings: Settings) -> Settings:
        raise NotImplementedError


_NUMBER_WIDTH = 200  # numbers need no more; full-width spin boxes read like text fields


def _form(page: QWidget) -> QFormLayout:
    """A form at the top of page; the space below stays empty instead of spreading the rows."""
    outer = QVBoxLayout(page)
    form = QFormLayout()
    outer.addLayout(form)
    outer.addStretch(1)
    return form


def _spin(low: int, high: int, step: int = 1, special: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setMaximumWidth(_NUMBER_WIDTH)
    box.setRange(low, high)
    box.setSingleStep(step)
    if special:
        box.setSpecialValueText(special)  # shown instead of the lowest value
    return box


def _dspin(low: float, high: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setMaximumWidth(_NUMBER_WIDTH)
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    return box


def _select(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    combo.setCurrentIndex(max(index, 0))


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setEnabled(False)  # greyed: an explanation, not a control
    return label


# --- Device & precision -------------------------------------------------------------------

_PRECISION_LABELS = {
    "auto": "Auto (fastest for the device)",
    "fp32": "fp32 (full precision)",
    "bf16": "bf16",
    "fp16": "fp16",
    "int8": "int8 (smallest, CPU)",
}


class DevicePage(SettingsPage):
    """Where the model runs and how wide its weights are. Only devices present are offered."""

    title = "Device & precision"
    target_changed = Signal(str, str, int)  # device, precision, context tokens

    def __init__(self, devices: Sequence[DeviceInfo]) -> None:
        super().__init__()
        self.device = QComboBox()
        self.device.addItem("Auto (GPU when present, else CPU)", "auto")
        for info in devices:
            self.device.addItem(info.label, info.device)
        self.precision = QComboBox()
        for name in PRECISIONS:
            self.precision.addItem(_PRECISION_LABELS[name], name)
        self.cpu_threads = _spin(0, machine_cores(), special="Automatic")
        self.context_tokens = _spin(*LIMITS["context_tokens"].whole_bounds(), step=256)
        self.context_tokens.setSuffix(" tokens")
        form = _form(self)
        form.addRow("&Device:", self.device)
        form.addRow("&Precision:", self.precision)
        form.addRow("CPU &threads:", self.cpu_threads)
        form.addRow("&Context size:", self.context_tokens)
        form.addRow(
            _hint(
                "The context size bounds how much of the text before the cursor the model reads. A "
                "larger context follows the document better but takes longer and needs more memory."
            )
        )
        for combo in (self.device, self.precision):
            combo.currentIndexChanged.connect(self._on_target_changed)
        self.context_tokens.valueChanged.connect(self._on_target_changed)

    def load(self, settings: Settings) -> None:
        _select(self.device, settings.model.device)  # a device no longer present shows Auto
        _select(self.precision, settings.model.precision)
        self.cpu_threads.setValue(settings.cpu_threads)
        self.context_tokens.setValue(settings.generation.context_tokens)

    def apply_to(self, settings: Settings) -> Settings:
        model = replace(
            settings.model,
            device=str(self.device.currentData()),
            precision=str(self.precision.currentData()),
        )
        generation = replace(settings.generation, context_tokens=self.context_tokens.value())
        return replace(
            settings, model=model, generation=generation, cpu_threads=self.cpu_threads.value()
        )

    def target(self) -> tuple[str, str, int]:
        device = str(self.device.currentData())
        if device == "auto":  # the first listed device is the one auto picks
            device = str(self.device.itemData(1)) if self.device.count() > 1 else "cpu"
        return device, str(self.precision.currentData()), self.context_tokens.value()

    def _on_target_changed(self) -> None:
        self.target_changed.emit(*self.target())


# --- Generation ---------------------------------------------------------------------------


def decode_stop_strings(text: str) -> tuple[str, ...]:
    r"""One stop string per line; \n, \t and \\ stand for a line break, a tab, a backslash."""
    strings = []
    for line in text.splitlines():
        if not line:
            continue
        out, i = [], 0
        while i < len(line):
            pair = line[i : i + 2]
            if pair in ("\\n", "\\t", "\\\\"):
                out.append({"\\n": "\n", "\\t": "\t", "\\\\": "\\"}[pair])
                i += 2
            else:
                out.append(line[i])
                i += 1
        strings.append("".join(out))
    return tuple(strings)


def encode_stop_strings(strings: Sequence[str]) -> str:
    return "\n".join(
        s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t") for s in strings
    )


_STOP_LABELS = {
    StopMode.SENTENCE: "At the end of a sentence",
    StopMode.PARAGRAPH: "At the end of a paragraph",
    StopMode.NONE: "Only at the length limit",
    StopMode.CUSTOM: "Only at the stop strings below",
}


class GenerationPage(SettingsPage):
    """Default sampling parameters for every suggestion."""

    title = "Generation"

    def __init__(self) -> None:
        super().__init__()
        self.temperature = _dspin(*LIMITS["temperature"].bounds(), 0.05)
        self.top_k = _spin(*LIMITS["top_k"].whole_bounds(), special="Off")
        self.top_p = _dspin(*LIMITS["top_p"].bounds(), 0.01)
        self.min_p = _dspin(*LIMITS["min_p"].bounds(), 0.01)
        self.repetition_penalty = _dspin(*LIMITS["repetition_penalty"].bounds(), 0.05)
        self.max_new_tokens = _spin(*LIMITS["max_new_tokens"].whole_bounds(), step=8)
        self.stop = QComboBox()
        for mode, label in _STOP_LABELS.items():
            self.stop.addItem(label, mode.value)
        self.stop_strings = QPlainTextEdit()
        self.stop_strings.setPlaceholderText("One per line; \\n is a line break")
        self.stop_strings.setTabChangesFocus(True)
        self.stop_strings.setFixedHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        self.alternatives = _spin(1, 8)
        self.seed = QLineEdit()
        self.seed.setMaximumWidth(_NUMBER_WIDTH)
        self.seed.setPlaceholderText("Random")
        self.seed.setValidator(QRegularExpressionValidator(r"\d{0,19}"))
        copies = LIMITS["no_copy_tokens"].whole_bounds()
        self.no_copy_tokens = _spin(*copies, special="Allow copies")
        self.no_copy_tokens.setSuffix(" tokens")
        self.prose = QCheckBox("Keep &markup out of prose")
        form = _form(self)
        form.addRow("&Temperature:", self.temperature)
        form.addRow(_hint("0 always picks the likeliest word; higher values write more freely."))
        form.addRow("Top-&k:", self.top_k)
        form.addRow("Top-&p:", self.top_p)
        form.addRow("&Min-p:", self.min_p)
        form.addRow("&Repetition penalty:", self.repetition_penalty)
        form.addRow("Ma&x new tokens:", self.max_new_tokens)
        form.addRow("&Stop:", self.stop)
        form.addRow("Stop stri&ngs:", self.stop_strings)
        form.addRow("&Alternatives:", self.alternatives)
        form.addRow("S&eed:", self.seed)
        form.addRow("&Longest copy from the document:", self.no_copy_tokens)
        form.addRow(
            _hint(
                "A suggestion never repeats this many tokens (about words) of the document word "
                "for word. The lowest value allows copies."
            )
        )
        form.addRow("", self.prose)
        form.addRow(
            _hint(
                "No HTML or similar tags in a document that has none, and a prose opening for an "
                "empty one."
            )
        )

    def load(self, settings: Settings) -> None:
        g = settings.generation
        self.temperature.setValue(g.temperature)
        self.top_k.setValue(g.top_k)
        self.top_p.setValue(g.top_p)
        self.min_p.setValue(g.min_p)
        self.repetition_penalty.setValue(g.repetition_penalty)
        self.max_new_tokens.setValue(g.max_new_tokens)
        _select(self.stop, g.stop.value)
        self.stop_strings.setPlainText(encode_stop_strings(g.stop_strings))
        self.alternatives.setValue(g.n)
        self.seed.setText("" if g.seed is None else str(g.seed))
        self.no_copy_tokens.setValue(g.no_copy_tokens)
        self.prose.setChecked(g.prose)

    def apply_to(self, settings: Settings) -> Settings:
        seed_text = self.seed.text().strip()
        seed = int(seed_text) if seed_text else None
        try:
            # replace: the engine's settings this page does not show keep their values.
            generation = replace(
                settings.generation,
                temperature=self.temperature.value(),
                top_k=self.top_k.value(),
                top_p=self.top_p.value(),
                min_p=self.min_p.value(),
                repetition_penalty=self.repetition_penalty.value(),
                max_new_tokens=self.max_new_tokens.value(),
                stop=StopMode(self.stop.currentData()),
                stop_strings=decode_stop_strings(self.stop_strings.toPlainText()),
                seed=seed,
                n=self.alternatives.value(),
                no_copy_tokens=self.no_copy_tokens.value(),
                prose=self.prose.isChecked(),
            )
        except ParamsError as err:
            raise InputError(f"Generation: {err}") from None
        return replace(settings, generation=generation)


# --- Editor -------------------------------------------------------------------------------


class EditorPage(SettingsPage):
    """Font, theme, the writer's page (page_controls.py, with its preview) and automatic
    suggestions."""

    title = "Editor"

    def __init__(self) -> None:
        super().__init__()
        self.font_family = QFontComboBox()
        self.font_size = _spin(6, 96)
        self.font_size.setSuffix(" pt")
        self.theme = QComboBox()
        for theme, label in (
            (Theme.SYSTEM, "Follow the system"),
            (Theme.LIGHT, "Light"),
            (Theme.DARK, "Dark"),
        ):
            self.theme.addItem(label, theme.value)
        self.auto_suggest = QCheckBox("Suggest a continuation when I pause typing")
        self.auto_suggest_delay = _spin(100, 10_000, step=100)
        self.auto_suggest_delay.setSuffix(" ms")
        self.auto_suggest.toggled.connect(self.auto_suggest_delay.setEnabled)
        self.page = PageControls(self.font_family, self.font_size, self.theme, self)
        form = _form(self)
        self.page.add_typeface_row(form)
        form.addRow("&Font:", self.font_family)
        form.addRow("Font si&ze:", self.font_size)
        form.addRow("&Theme:", self.theme)
        self.page.add_page_rows(form)
        form.addRow("", self.auto_suggest)
        form.addRow("&Pause before suggesting:", self.auto_suggest_delay)

    def load(self, settings: Settings) -> None:
        e = settings.editor
        family = (
            e.font_family or QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont).family()
        )
        self.font_family.setCurrentFont(QFont(family))
        self.font_size.setValue(e.font_size)
        _select(self.theme, e.theme.value)
        self.auto_suggest.setChecked(e.auto_suggest)
        self.auto_suggest_delay.setEnabled(e.auto_suggest)
        self.auto_suggest_delay.setValue(e.auto_suggest_delay_ms)
        self.page.load(settings)  # last: loading the font above must not choose "the font below"

    def apply_to(self, settings: Settings) -> Settings:
        editor = EditorSettings(
            font_family=self.page.chosen_family(),
            font_size=self.font_size.value(),
            theme=Theme(self.theme.currentData()),
            auto_suggest=self.auto_suggest.isChecked(),
            auto_suggest_delay_ms=self.auto_suggest_delay.value(),
        )
        return replace(settings, editor=editor, page=self.page.page_settings())


# --- Keys ---------------------------------------------------------------------------------


class KeysPage(SettingsPage):
    """One key per action. A key another action already has, or one needed for typing, is
    refused, with the reason shown."""

    title = "Keys"

    def __init__(self) -> None:
        super().__init__()
        self.edits: dict[Action, QKeySequenceEdit] = {}
        self._accepted: dict[Action, str] = {}
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: palette(link);")
        form = _form(self)
        for action in Action:
            edit = QKeySequenceEdit()
            edit.setMaximumSequenceLength(1)  # one chord per action, as the editor matches them
            edit.editingFinished.connect(self._make_checker(action))
            self.edits[action] = edit
            form.addRow(ACTION_LABELS[action] + ":", edit)
        form.addRow(
            _hint(
                "Click a field and press the new key. The accept keys act only while a suggestion "
                "is showing; otherwise they keep their usual meaning."
            )
        )
        form.addRow(self.message)

    def load(self, settings: Settings) -> None:
        self._accepted = dict(settings.key_bindings)
        for action, edit in self.edits.items():
            edit.setKeySequence(QKeySequence(self._accepted[action]))
        self.message.clear()

    def apply_to(self, settings: Settings) -> Settings:
        return replace(settings, key_bindings=dict(self._accepted))

    def try_bind(self, action: Action, key: str) -> bool:
        """Bind key to action unless another action has it; show why it was refused."""
        key = normalise_key(key)
        if not key:
            self.message.setText(f"\u201c{ACTION_LABELS[action]}\u201d needs a key.")
            self._show(action)
            return False
        typing = typing_key_problem(key)
        if typing is not None:
            self.message.setText(typing + ".")
            self._show(action)
            return False
        holder = binding_conflict(self._accepted, action, key)
        if holder is not None:
            self.message.setText(conflict_message(key, holder) + ". Choose another key.")
            self._show(action)
            return False
        self._accepted[action] = key
        self.message.clear()
        return True

    def _make_checker(self, action: Action) -> Callable[[], None]:
        def check() -> None:
            sequence = self.edits[action].keySequence()
            self.try_bind(action, sequence.toString(QKeySequence.SequenceFormat.PortableText))

        return check

    def _show(self, action: Action) -> None:
        """Put the accepted key back into the field of action."""
        edit = self.edits[action]
        edit.blockSignals(True)
        edit.setKeySequence(QKeySequence(self._accepted[action]))
        edit.blockSignals(False)


# --- Spelling -----------------------------------------------------------------------------


class SpellingPage(SettingsPage):
    """The language unknown words are underlined in, or none."""

    title = "Spelling"

    def __init__(self) -> None:
        super().__init__()
        self.language = QComboBox()
        self.language.addItem(
            f"Follow the system ({LANGUAGE_NAMES[system_language()]})", FOLLOW_SYSTEM
        )
        self.language.addItem("Off", OFF)
        for code in available_languages():
            self.language.addItem(LANGUAGE_NAMES[code], code)
        form = _form(self)
        form.addRow("&Spelling:", self.language)
        form.addRow(
            _hint(
                "Unknown words get a red wavy underline; right-click one for corrections, "
                "\u201cAdd to dictionary\u201d or \u201cIgnore\u201d. Chinese, Japanese and "
                "Korean text, acronyms, numbers and web addresses are never marked."
            )
        )

    def load(self, settings: Settings) -> None:
        _select(self.language, settings.spelling)

    def apply_to(self, settings: Settings) -> Settings:
        return replace(settings, spelling=str(self.language.currentData()))
