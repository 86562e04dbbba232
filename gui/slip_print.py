"""The acknowledgement slip on paper: Qt's print dialog, a PDF file, or an image of the page.

``station.slip`` decides what the slip says and lays it out as HTML; this module only puts that
HTML on a page. Every output goes through ``_paint_pages``, so the printed slip, the saved PDF
and the screenshot are the same drawing. The HTML is laid out once at 96 layout pixels to the
inch on a ``CONTENT_WIDTH_PX`` column and the painter is scaled to the device, rather than
laying it out on the printer itself: a printer's 600 or 1200 dots per inch would otherwise turn
the HTML's pixel sizes into specks, and ``QTextDocument.print_`` would add page numbers a
one-page receipt does not want.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, QStandardPaths
from PySide6.QtGui import QColor, QFont, QImage, QPageLayout, QPageSize, QPainter, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from domain.catalog import render
from station.slip import CONTENT_WIDTH_PX, Slip, slip_html

MARGIN_MM = 15.0  # with CONTENT_WIDTH_PX (180 mm) this fills A4's 210 mm exactly
LAYOUT_DPI = 96.0
A4_MM = (210.0, 297.0)


def slip_document(slip: Slip) -> QTextDocument:
    """The slip's HTML laid out on a ``CONTENT_WIDTH_PX`` column (its page height is set when painting)."""
    doc = QTextDocument()
    doc.setDocumentMargin(0)
    font = QFont("DejaVu Sans")
    font.setPixelSize(13)
    doc.setDefaultFont(font)
    doc.setHtml(slip_html(slip))
    doc.setTextWidth(CONTENT_WIDTH_PX)
    return doc


def _paint_pages(painter: QPainter, doc: QTextDocument, content: QRectF, pages: int | None = None,
                 new_page=None) -> int:
    """Draw ``doc`` into ``content`` (device pixels), scaled to its width, page after page.

    ``new_page`` starts the next sheet (a printer's ``newPage``); without it only the first page is
    drawn, as a preview shows it. Returns the number of pages drawn.
    """
    scale = content.width() / CONTENT_WIDTH_PX
    page_height = content.height() / scale
    doc.setPageSize(QSizeF(CONTENT_WIDTH_PX, page_height))
    count = doc.pageCount() if new_page is not None else 1
    if pages is not None:
        count = min(count, pages)
    for index in range(count):
        if index:
            new_page()
        painter.save()
        painter.translate(content.topLeft())
        painter.scale(scale, scale)
        painter.translate(0, -index * page_height)
        doc.drawContents(painter, QRectF(0, index * page_height, CONTENT_WIDTH_PX, page_height))
        painter.restore()
    return count


def _a4_printer(printer: QPrinter | None = None) -> QPrinter:
    printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                      QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
                                      QPageLayout.Unit.Millimeter))
    return printer


def _print(printer: QPrinter, slip: Slip) -> int:
    """The slip on ``printer``'s pages, within its margins; the number of pages printed."""
    printer.setDocName(render("slip.title", slip.language) + " " + slip.number)
    printer.setCreator("Biostation")
    content = QRectF(printer.pageRect(QPrinter.Unit.DevicePixel))
    content.moveTo(0, 0)  # the painter's origin is already the top left of the printable area
    painter = QPainter()
    if not painter.begin(printer):
        raise OSError(f"cannot print to {printer.outputFileName() or printer.printerName()!r}")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        return _paint_pages(painter, slip_document(slip), content, new_page=printer.newPage)
    finally:
        painter.end()


def save_slip_pdf(slip: Slip, path: str | Path) -> Path:
    """Write the slip as an A4 PDF at ``path`` (text kept as text, images at their own resolution)."""
    path = Path(path)
    printer = _a4_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    _print(printer, slip)
    return path


def print_slip(parent: QWidget | None, slip: Slip, printer: QPrinter | None = None) -> bool:
    """Qt's print dialog for the slip on A4, then print it; False when the officer cancels.

    ``printer`` may come preset (an output file, a chosen printer); the dialog starts from it.
    The dialog also offers printing to a PDF file, for a station without a printer.
    """
    printer = _a4_printer(printer)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(render("slip.print_title", slip.language))
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return False
    _print(printer, slip)
    return True


def save_slip_pdf_as(parent: QWidget | None, slip: Slip, folder: str | Path | None = None) -> Path | None:
    """Ask where to save the slip's PDF (named after the application number), then save it there.

    The dialog opens in ``folder``, else the officer's documents folder, never the process's working
    directory, which on a counter PC is wherever the launcher started it.
    """
    if folder is None:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    suggested = str(Path(folder) / f"{render('slip.file_name', slip.language)}-{slip.number}.pdf")
    chosen, _filter = QFileDialog.getSaveFileName(parent, render("slip.save_title", slip.language), suggested,
                                                  "PDF (*.pdf)")
    if not chosen:
        return None
    if not chosen.lower().endswith(".pdf"):
        chosen += ".pdf"
    return save_slip_pdf(slip, chosen)


def render_slip_preview(slip: Slip, width: int = 794) -> QImage:
    """The slip's first page as an A4 image ``width`` pixels wide (794: 96 per inch), white paper.

    The screenshots and an on-screen preview use it; it is drawn exactly as the PDF is.
    """
    height = round(width * A4_MM[1] / A4_MM[0])
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    per_mm = width / A4_MM[0]
    image.setDotsPerMeterX(round(per_mm * 1000))
    image.setDotsPerMeterY(round(per_mm * 1000))
    margin = MARGIN_MM * per_mm
    content = QRectF(margin, margin, width - 2 * margin, height - 2 * margin)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        _paint_pages(painter, slip_document(slip), content)
    finally:
        painter.end()
    return image


__all__ = ["print_slip", "render_slip_preview", "save_slip_pdf", "save_slip_pdf_as", "slip_document"]
