"""Exporting a document with Qt's own writers: HTML, ODT (QTextDocumentWriter) and PDF (QPdfWriter).

The writer's text is put in a QTextDocument first: a Markdown file (.md, .markdown) is rendered
from its Markdown (QTextDocument.setMarkdown), anything else becomes one paragraph per line. The
document takes the editor's font, so the export looks like the page it came from. The whole file
is made in memory and then written by ``write_atomically``: a failed export (a folder that cannot
be written, a full disk) leaves no half file and any earlier export in place, and raises
ExportError with one message for the writer. Nothing here touches the editor's own document.
"""

from __future__ import annotations

import errno
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import (
    QFont,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextDocument,
    QTextDocumentWriter,
)

from penwright.models.files.atomic import write_atomically

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd"})
PDF_RESOLUTION = 300  # dots per inch: text is vector anyway; this sets the layout's unit
PDF_MARGIN_MM = 20.0


class ExportFormat(StrEnum):
    HTML = "html"
    ODT = "odt"
    PDF = "pdf"

    @property
    def label(self) -> str:
        return {"html": "HTML", "odt": "ODT", "pdf": "PDF"}[self.value]

    @property
    def file_filter(self) -> str:
        """The file dialog's filter for this format."""
        patterns = {"html": "*.html *.htm", "odt": "*.odt", "pdf": "*.pdf"}[self.value]
        names = {"html": "Web page", "odt": "OpenDocument text", "pdf": "PDF document"}
        return f"{names[self.value]} ({patterns})"


class ExportError(Exception):
    """An export failed; the message says why for the writer, and no file was half written."""


def is_markdown(path: Path | None) -> bool:
    return path is not None and path.suffix.lower() in MARKDOWN_SUFFIXES


def export_document(text: str, font: QFont, *, markdown: bool, title: str = "") -> QTextDocument:
    """The text as a QTextDocument to export: Markdown rendered, or plain paragraphs."""
    document = QTextDocument()
    document.setDefaultFont(font)
    if markdown:
        document.setMarkdown(text)
    else:
        document.setPlainText(text)  # one block (paragraph) per line
    if title:
        document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    return document


def rendered_bytes(document: QTextDocument, fmt: ExportFormat) -> bytes:
    """The bytes of document in fmt, made in memory."""
    if fmt is ExportFormat.HTML:
        # toHtml declares utf-8 in its <meta>; the text keeps every script (CJK included).
        return document.toHtml().encode("utf-8")
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if fmt is ExportFormat.ODT:
        writer = QTextDocumentWriter(buffer, QByteArray(b"odf"))
        if not writer.write(document):
            raise ExportError("Qt could not write the document as ODT.")
    else:
        _print_pdf(document, buffer)
    buffer.close()
    return bytes(data.data())


def _print_pdf(document: QTextDocument, buffer: QBuffer) -> None:
    pdf = QPdfWriter(buffer)
    pdf.setResolution(PDF_RESOLUTION)
    pdf.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(PDF_MARGIN_MM, PDF_MARGIN_MM, PDF_MARGIN_MM, PDF_MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    title = document.metaInformation(QTextDocument.MetaInformation.DocumentTitle)
    if title:
        pdf.setTitle(title)
    pdf.setCreator("Penwright")
    # print_ paginates into the writer's page rectangle and keeps the document's font in points.
    document.print_(pdf)


def export_text(
    path: str | Path, text: str, font: QFont, fmt: ExportFormat, *, markdown: bool
) -> None:
    """Write text to path in fmt, atomically. Raises ExportError with the message to show."""
    target = Path(path)
    document = export_document(text, font, markdown=markdown, title=target.stem)
    data = rendered_bytes(document, fmt)
    try:
        write_atomically(target, data)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            raise ExportError(
                f"Could not export to {target}: the disk is full. Free some space or export "
                "elsewhere; your document is unchanged."
            ) from exc
        raise ExportError(
            f"Could not export to {target}: {exc.strerror or exc}. Choose another folder; "
            "your document is unchanged."
        ) from exc


def with_suffix(path: str, fmt: ExportFormat) -> Path:
    """The chosen path, with the format's suffix added when the writer typed none of its own."""
    chosen = Path(path)
    wanted = {"html": (".html", ".htm"), "odt": (".odt",), "pdf": (".pdf",)}[fmt.value]
    return chosen if chosen.suffix.lower() in wanted else chosen.with_name(chosen.name + wanted[0])
