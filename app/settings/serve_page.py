"""Preferences > Serving: "Serve to other programs" (models.serving through the editor's own
model), its port, API key and allowed web origins."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from PySide6.QtWidgets import QCheckBox, QLineEdit

from penwright.app.settings.pages import InputError, SettingsPage, _form, _hint, _spin
from penwright.app.settings.secrets import KeyPlace, KeyStore
from penwright.app.settings.serve_key import keep_serve_key, stored_serve_key
from penwright.app.settings.store import MAX_ORIGIN_CHARS, MAX_ORIGINS, ServeSettings, Settings


def parse_origins(text: str) -> tuple[str, ...]:
    """Origins separated by spaces or commas, each scheme://host[:port]; InputError names a bad
    one. "*" is refused: any web page could then use the model."""
    origins = tuple(part for part in text.replace(",", " ").split() if part)
    if len(origins) > MAX_ORIGINS:
        raise InputError(f"Serving: at most {MAX_ORIGINS} allowed origins")
    for origin in origins:
        parts = urlsplit(origin)
        if (
            len(origin) > MAX_ORIGIN_CHARS
            or parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.path not in ("", "/")
            or parts.query
        ):
            raise InputError(
                f"Serving: {origin!r} is not a web origin such as https://notes.example.org"
            )
    return tuple(origin.rstrip("/") for origin in origins)


class ServePage(SettingsPage):
    """On or off, the port, the key and the origins. The key goes to ``keys`` (the system
    keyring, or this session where there is none), never to the settings file."""

    title = "Serving"

    def __init__(self, keys: KeyStore | None = None) -> None:
        super().__init__()
        self._keys = keys
        self.enabled = QCheckBox("Serve to other programs (an OpenAI-compatible API)")
        self.port = _spin(1, 65535)
        self.api_key = QLineEdit()
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText("none: any program on this computer may ask")
        self.origins = QLineEdit()
        self.origins.setPlaceholderText("none: web pages may not call it")
        self.address = _hint("")
        form = _form(self)
        form.addRow("", self.enabled)
        form.addRow("&Port:", self.port)
        form.addRow("API &key:", self.api_key)
        form.addRow("Allowed web &origins:", self.origins)
        form.addRow("", self.address)
        form.addRow(
            "",
            _hint(
                "Other programs on this computer can use the model you write with, at "
                "127.0.0.1 only; your own suggestions always go first. The key is kept in the "
                "system keyring (where there is none, until Penwright closes), never in the "
                "settings file."
            ),
        )
        self.enabled.toggled.connect(self._show_address)
        self.port.valueChanged.connect(self._show_address)

    def _show_address(self) -> None:
        on = self.enabled.isChecked()
        for control in (self.port, self.api_key, self.origins):
            control.setEnabled(on)
        self.address.setText(f"Base URL: http://127.0.0.1:{self.port.value()}/v1" if on else "")

    def load(self, settings: Settings) -> None:
        serve = settings.serve
        self.enabled.setChecked(serve.enabled)
        self.port.setValue(serve.port)
        self.api_key.setText(serve.api_key or stored_serve_key(self._keys))
        self.origins.setText(" ".join(serve.allowed_origins))
        self._show_address()

    def apply_to(self, settings: Settings) -> Settings:
        origins = parse_origins(self.origins.text())
        key = self.api_key.text().strip()
        if keep_serve_key(key, self._keys) is KeyPlace.SESSION and key:
            self.address.setText("No system keyring here: the key is kept until Penwright closes.")
        serve = ServeSettings(self.enabled.isChecked(), self.port.value(), origins, key)
        return replace(settings, serve=serve)
