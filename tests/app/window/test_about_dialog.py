"""Help > About: version, Penwright's licence, the bundled model's Gemma terms, library licences;
nothing fetched."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from pytestqt.qtbot import QtBot

from penwright.app.window.about_dialog import (
    AboutDialog,
    gemma_terms_html,
    library_licences,
    penwright_licence,
)


def test_the_gemma_terms_are_shown_from_the_bundled_package(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()  # a remote image or stylesheet would log a Qt warning, which fails the test
    text = dialog.terms.toPlainText()
    assert text.startswith("Gemma Terms of Use")
    assert "Section 1: DEFINITIONS" in text
    assert "GEMMA_TERMS.html" in dialog.notice.toPlainText()


def test_the_terms_page_has_nothing_to_load_and_no_site_relative_links() -> None:
    html = gemma_terms_html()
    assert "<img" not in html and "<link" not in html and "<script" not in html
    assert 'href="/' not in html


def test_library_licences_come_from_the_installed_packages() -> None:
    rows = {name: (version, licence) for name, version, licence in library_licences()}
    assert rows["torch"][0] == metadata.version("torch")
    assert "LGPL-3.0" in rows["PySide6-Essentials"][1]
    assert all(licence for _, licence in rows.values())


def test_penwrights_own_licence_is_read_from_the_installed_distribution(qtbot: QtBot) -> None:
    dist_infos = [d for d in metadata.distributions(name="penwright") if d.read_text("RECORD")]
    assert dist_infos, "penwright is not installed (pip install -e .)"
    installed = dist_infos[0].read_text("licenses/LICENSE")
    assert installed == (Path(__file__).parents[3] / "LICENSE").read_text(encoding="utf-8")
    assert penwright_licence() == installed
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    tab = next(i for i in range(dialog.tabs.count()) if dialog.tabs.tabText(i) == "Licence")
    assert dialog.tabs.widget(tab) is dialog.licence
    text = dialog.licence.toPlainText()
    assert text.split()[:2] == ["Apache", "License"] and text.split() == installed.split()
