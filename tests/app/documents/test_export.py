"""Exports that open: the HTML parses with its text and headings, the ODT is a zip whose
content.xml holds the paragraphs, the PDF has pages; Chinese text survives; failures say why."""

from __future__ import annotations

import os
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from penwright.app.documents.export import ExportError, ExportFormat, export_text, with_suffix

MARKDOWN = "# The Lighthouse\n\nShe climbed *slowly*, and **never** looked back.\n\n他说：好。\n"  # noqa: RUF001
PLAIN = "First line of the story.\nSecond line.\n第三行是中文。\n"
TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.heading_text: list[str] = []
        self._in_heading = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if re.fullmatch(r"h[1-6]", tag):
            self._in_heading += 1

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self._in_heading -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_heading:
            self.heading_text.append(data)


def _font() -> QFont:
    font = QFont("DejaVu Serif")
    font.setPointSize(13)
    return font


def _parse_html(path: Path) -> _Collect:
    parser = _Collect()
    parser.feed(path.read_text("utf-8"))
    return parser


def _odt_paragraphs(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        root = ET.fromstring(archive.read("content.xml"))
    found = []
    for tag in ("p", "h"):
        for element in root.iter(f"{{{TEXT_NS}}}{tag}"):
            found.append("".join(element.itertext()))
    return found


def test_markdown_exports_as_html_with_headings_emphasis_and_chinese(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = tmp_path / "story.html"
    export_text(path, MARKDOWN, _font(), ExportFormat.HTML, markdown=True)
    parsed = _parse_html(path)
    assert "The Lighthouse" in "".join(parsed.heading_text)
    body = "".join(parsed.text)
    assert "slowly" in body and "他说：好。" in body  # noqa: RUF001
    assert "# The" not in body and "*slowly*" not in body  # rendered, not the markup
    assert "h1" in parsed.tags
    assert "DejaVu Serif" in path.read_text("utf-8")  # the editor's font


def test_plain_text_exports_as_paragraphs(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "notes.html"
    export_text(path, PLAIN, _font(), ExportFormat.HTML, markdown=False)
    parsed = _parse_html(path)
    assert parsed.tags.count("p") >= 3
    assert "第三行是中文。" in "".join(parsed.text)
    assert not parsed.heading_text


def test_odt_holds_the_paragraphs_and_chinese(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "story.odt"
    export_text(path, MARKDOWN, _font(), ExportFormat.ODT, markdown=True)
    paragraphs = _odt_paragraphs(path)
    assert any("The Lighthouse" in p for p in paragraphs)
    assert any(p.startswith("She climbed slowly") for p in paragraphs)
    assert "他说：好。" in paragraphs  # noqa: RUF001
    plain = tmp_path / "notes.odt"
    export_text(plain, PLAIN, _font(), ExportFormat.ODT, markdown=False)
    assert [p for p in _odt_paragraphs(plain) if p] == [
        "First line of the story.",
        "Second line.",
        "第三行是中文。",
    ]


def _pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def test_pdf_has_a_page_and_a_long_text_has_more(qtbot: QtBot, tmp_path: Path) -> None:
    short = tmp_path / "short.pdf"
    export_text(short, MARKDOWN, _font(), ExportFormat.PDF, markdown=True)
    assert _pdf_pages(short) == 1
    assert b"/BaseFont /DejaVuSerif" in short.read_bytes()  # the editor's font, embedded
    long = tmp_path / "long.pdf"
    export_text(long, "A line of the novel.\n" * 400, _font(), ExportFormat.PDF, markdown=False)
    assert _pdf_pages(long) > 3


def test_a_folder_that_cannot_be_written_gives_one_message(qtbot: QtBot, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "chapter.txt"
    not_a_folder.write_text("a file where a folder should be", "utf-8")
    with pytest.raises(ExportError, match=r"Could not export to .*story\.pdf: .*Choose another"):
        export_text(not_a_folder / "story.pdf", PLAIN, _font(), ExportFormat.PDF, markdown=False)
    with pytest.raises(ExportError, match="Choose another folder"):
        export_text(
            tmp_path / "missing" / "x.odt", PLAIN, _font(), ExportFormat.ODT, markdown=False
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chapter.txt"]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MB file system (tmpfs), so the export meets ENOSPC from the kernel itself."""
    if os.name != "posix":
        pytest.skip("tmpfs is Linux")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_a_full_disk_says_so_and_keeps_the_earlier_export(qtbot: QtBot, small_disk: Path) -> None:
    earlier = small_disk / "story.html"
    earlier.write_text("earlier export", "utf-8")
    with pytest.raises(ExportError, match="the disk is full"):
        export_text(earlier, "A long line.\n" * 100_000, _font(), ExportFormat.HTML, markdown=False)
    assert earlier.read_text("utf-8") == "earlier export"
    assert sorted(p.name for p in small_disk.iterdir()) == ["story.html"]  # no temporary left


def test_the_format_suffix_is_added_when_missing() -> None:
    assert with_suffix("/a/story", ExportFormat.PDF) == Path("/a/story.pdf")
    assert with_suffix("/a/story.HTM", ExportFormat.HTML) == Path("/a/story.HTM")
    assert with_suffix("/a/v1.2", ExportFormat.ODT) == Path("/a/v1.2.odt")
