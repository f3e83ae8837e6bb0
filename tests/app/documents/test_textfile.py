"""app.documents.textfile: the documents' old import path is the shared, Qt-free
models.files.textfile (tested in tests/models/files/test_textfile.py), not a second decoder."""

from __future__ import annotations

from pathlib import Path

from penwright.app.documents import textfile as app_textfile
from penwright.models.files import textfile


def test_the_app_names_are_the_shared_modules_objects() -> None:
    for name in app_textfile.__all__:
        assert getattr(app_textfile, name) is getattr(textfile, name), name


def test_a_file_saved_through_the_app_path_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "doc.txt"
    fmt = app_textfile.TextFormat("utf-16-le", "\r\n")
    app_textfile.write_text_file(path, "Première ligne\nsecond", fmt)
    assert path.read_bytes() == "\ufeffPremière ligne\r\nsecond".encode("utf-16-le")
    assert app_textfile.read_text_file(path) == ("Première ligne\nsecond", fmt)
