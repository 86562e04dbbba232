"""The acknowledgement slip: printed to PDF by real Qt (offscreen) and read back like a kiosk would.

The record is real data: the ISO crop of a real portrait, synthetic fingers scored by NFIQ 2 and
extracted by the matcher. The PDF is rendered to pixels by PDFium, its QR code read by the same
``QrReader`` the kiosk's check-in uses, and its text extracted, in both languages.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog

from domain.applications import number_from_scan
from domain.catalog import render
from domain.fingers import FingerPosition
from enrollment.record import Approval, EnrollmentRecord, FingerCaptureResult, FingerException
from enrollment.synthetic import SENSOR, face_result
from gui.slip_print import print_slip, render_slip_preview, save_slip_pdf, save_slip_pdf_as
from matching.face.crop import iso_crop, jpeg
from matching.fingerprint.extractor import extract
from matching.fingerprint.nfiq2 import nfiq2
from station.checkin import QrReader
from station.settings import Settings
from station.slip import Slip, SlipFinger, format_when, rank_fingers, slip_from_record, slip_html

from .faces import astronaut, face_of, studio

NUMBER = "P261206048213"
OFFICE = "Kantor Imigrasi Kelas I Jakarta Selatan"
BIRTH_DATE = "1990-04-01"


@pytest.fixture(scope="module")
def record(tmp_path_factory) -> EnrollmentRecord:
    """Four prints taken (one kept below quality), a missing and an injured finger, approved, finished."""
    from matching.fingerprint.synth import write_synthetic_fingers

    folder = tmp_path_factory.mktemp("slip-fingers")
    write_synthetic_fingers(folder, fingers=4, impressions=1, seed=11)
    rgb = studio(astronaut())
    _box, landmarks = face_of(rgb)
    crop = iso_crop(rgb, landmarks)
    face = replace(face_result(0), jpeg=jpeg(crop), size=(crop.image.shape[1], crop.image.shape[0]))
    fingers = []
    for position, finger in zip((1, 2, 6, 7), (1, 2, 3, 4), strict=True):
        image = cv2.imread(str(folder / f"{finger:03d}_1.png"), cv2.IMREAD_GRAYSCALE)
        fingers.append(FingerCaptureResult(FingerPosition(position), image, 500, extract(image),
                                           nfiq2(image, 500).score, 2, 0.3, SENSOR))
    application = {"number": NUMBER, "given_name": "Siti", "surname": "Rahayu", "birth_date": BIRTH_DATE,
                   "service": "passport"}
    return EnrollmentRecord(
        application, "siti", "counter-1", {"obtained": True}, "2026-12-06T07:40:00+00:00", face=face,
        fingers=fingers,
        exceptions=[FingerException(FingerPosition.RIGHT_MIDDLE, "missing"),
                    FingerException(FingerPosition.LEFT_MIDDLE, "injured"),
                    FingerException(FingerPosition.LEFT_INDEX, "quality")],
        approval=Approval("budi", "2026-12-06T07:52:00+00:00"), finished_at="2026-12-06T07:53:00+00:00")


def _settings(tmp_path: Path, **values: str) -> Settings:
    return Settings(tmp_path, **{"office": OFFICE, **values})


def _page_bgr(pdf: pdfium.PdfDocument, dpi: int = 150) -> np.ndarray:
    pixels = pdf[0].render(scale=dpi / 72).to_numpy()  # PDFium's native order: BGR
    return np.ascontiguousarray(pixels[..., :3])


def _text(pdf: pdfium.PdfDocument) -> str:
    return " ".join(pdf[0].get_textpage().get_text_range().split())


def _images(pdf: pdfium.PdfDocument) -> list:
    return list(pdf[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=5))


def test_fingers_are_ranked_best_first_and_exceptions_noted(record):
    ranked = rank_fingers(record)
    printed = [f for f in ranked if f.nfiq2 is not None]
    assert [f.nfiq2 for f in printed] == sorted((f.quality for f in record.fingers), reverse=True)
    assert {f.position for f in printed} == {f.position for f in record.fingers}
    # the fingers without a print come last, in ISO order, with their reason
    assert [(f.position, f.exception) for f in ranked[len(printed):]] == [
        (FingerPosition.RIGHT_MIDDLE, "missing"), (FingerPosition.LEFT_MIDDLE, "injured")]
    kept_below = [f for f in printed if f.exception]
    assert [(f.position, f.exception) for f in kept_below] == [(FingerPosition.LEFT_INDEX, "quality")]


def test_time_is_the_offices_own(record, tmp_path):
    jakarta = slip_from_record(record, _settings(tmp_path), language="id")
    makassar = slip_from_record(record, _settings(tmp_path, timezone="Asia/Makassar"), language="en")
    assert format_when(jakarta) == "6 Desember 2026, 14.53 WIB"
    assert format_when(makassar) == "6 December 2026, 15:53 WITA"


def test_slip_holds_no_birth_date_and_no_fingerprint(record, tmp_path):
    slip = slip_from_record(record, _settings(tmp_path), language="en")
    html = slip_html(slip)
    assert BIRTH_DATE not in html and "1990" not in html
    assert slip.officer == "siti" and slip.approved_by == "budi" and slip.language == "en"
    assert not hasattr(slip, "birth_date")
    assert all(not isinstance(v, np.ndarray) for v in vars(slip).values())
    # what an applicant typed is text on the slip, never markup
    odd = slip_html(replace(slip, given_name="<b>Siti</b> & Co"))
    assert "<b>Siti</b>" not in odd and "&lt;b&gt;Siti&lt;/b&gt; &amp; Co" in odd


@pytest.mark.parametrize("language", ["en", "id"])
def test_slip_pdf_reads_back(qapp, record, tmp_path, language):
    slip = slip_from_record(record, _settings(tmp_path), language=language, packet_id="8f3c2a9e")
    path = save_slip_pdf(slip, tmp_path / "slip.pdf")
    pdf = pdfium.PdfDocument(str(path))
    assert len(pdf) == 1
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 portrait, in points

    # the QR code is what the kiosk's check-in accepts
    scanned = QrReader()(_page_bgr(pdf))
    assert scanned == NUMBER
    assert number_from_scan(scanned) == NUMBER

    text = _text(pdf)
    assert NUMBER in text
    for expected in (render("slip.title", language), format_when(slip), OFFICE, "Siti Rahayu", "siti",
                     render("slip.exception.missing", language), render("slip.exception.injured", language)):
        assert " ".join(expected.split()) in text, expected
    finger = render("name.finger.right-index", language)
    assert finger[0].upper() + finger[1:] in text
    other = "id" if language == "en" else "en"
    assert render("slip.title", other) not in text
    assert BIRTH_DATE not in text

    # the photo is the record's own ISO crop, at its own resolution
    photo = cv2.imdecode(np.frombuffer(record.face.jpeg, np.uint8), cv2.IMREAD_COLOR)
    faces = [o for o in _images(pdf) if o.get_px_size() == record.face.size]
    assert len(faces) == 1
    embedded = faces[0].get_bitmap(render=False).to_numpy()[..., :3]
    assert embedded.shape == photo.shape
    assert np.abs(embedded.astype(int) - photo.astype(int)).mean() < 6
    pdf.close()


def test_ten_fingers_and_long_names_fit_one_page(qapp, record, tmp_path):
    """The longest slip an office prints: ten fingers, two exceptions, long names, a full packet id."""
    slip = slip_from_record(record, _settings(tmp_path, office="Kantor Imigrasi Kelas I Khusus TPI Jakarta Selatan"),
                            language="id", packet_id="3f6b1c0e8a524d7e9c112b7f4e0d5a93")
    printed = [p for p in FingerPosition if p not in (3, 8)]
    fingers = tuple(SlipFinger(p, 40 + int(p), "quality" if p == 5 else None) for p in printed)
    slip = replace(slip, given_name="Siti Nurhaliza Kartika", surname="Rahayu Kusumawardhani Prawiranegara",
                   fingers=fingers + (SlipFinger(FingerPosition(3), None, "missing"),
                                      SlipFinger(FingerPosition(8), None, "injured")))
    pdf = pdfium.PdfDocument(str(save_slip_pdf(slip, tmp_path / "long.pdf")))
    assert len(pdf) == 1
    text = _text(pdf)
    assert render("slip.footer", "id") in text and "3f6b1c0e8a524d7e9c112b7f4e0d5a93" in text
    assert QrReader()(_page_bgr(pdf)) == NUMBER
    pdf.close()


def test_preview_is_the_printed_page(qapp, record, tmp_path):
    slip = slip_from_record(record, _settings(tmp_path), language="id")
    image = render_slip_preview(slip, 1240)
    assert (image.width(), image.height()) == (1240, 1754)
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    pixels = pixels[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)
    assert QrReader()(cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR)) == NUMBER


def test_print_dialog_prints_the_slip(qapp, record, tmp_path):
    """The officer's print button: Qt's print dialog, accepted, prints to what it was set to (here a PDF file)."""
    slip: Slip = slip_from_record(record, _settings(tmp_path), language="en")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    seen: list[str] = []

    def accept_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, accept_dialog)
            return
        seen.append(dialog.windowTitle())
        dialog.accept()

    QTimer.singleShot(0, accept_dialog)
    assert print_slip(None, slip, printer)
    assert seen == [render("slip.print_title", "en")]
    pdf = pdfium.PdfDocument(str(tmp_path / "printed.pdf"))
    assert len(pdf) == 1
    assert QrReader()(_page_bgr(pdf)) == NUMBER
    pdf.close()


def test_save_as_asks_where_and_adds_the_extension(qapp, record, tmp_path):
    """The officer's PDF button: Qt's file dialog, named after the number, answered with a name without ".pdf"."""
    slip = slip_from_record(record, _settings(tmp_path), language="id")
    suggested: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, answer)
            return
        suggested.extend(dialog.selectedFiles())
        dialog.selectFile(str(tmp_path / "kept"))
        dialog.accept()

    QTimer.singleShot(0, answer)
    path = save_slip_pdf_as(None, slip, tmp_path)
    assert path == tmp_path / "kept.pdf"
    assert [Path(p).name for p in suggested] == [f"tanda-terima-{NUMBER}.pdf"]
    pdf = pdfium.PdfDocument(str(path))
    assert NUMBER in _text(pdf)
    pdf.close()
