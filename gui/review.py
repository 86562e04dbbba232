"""Review and done: every capture shown once more before the record is sealed, then the slip.

The review is a preview of the whole record, not a summary in words: the photo with its ICAO
results, each finger's image with its NFIQ 2 score and state, the exceptions and who approved
them. A record with exceptions needs a supervisor: one standing at the counter signs in here,
or the officer hands the record to the supervisors' queue (``approvals``) and calls the next
applicant. The done page says where the record is and prints the applicant's slip.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from domain.catalog import render_error

from .hand import FingerBoard
from .jobs import run_job
from .page import Page, keyed
from .widgets import DONE, EXEMPT, FAIL, CheckGrid, big_font

if TYPE_CHECKING:
    from .console import Console

log = logging.getLogger("biostation.gui")


def jpeg_pixmap(jpeg: bytes) -> QPixmap:
    pixmap = QPixmap()
    pixmap.loadFromData(jpeg, "JPG")
    return pixmap


class ReviewPage(Page):
    name = "review"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.photo = QLabel()
        self.photo.setFixedSize(180, 231)
        self.photo.setScaledContents(True)
        self.photo.setStyleSheet("border:1px solid #ccc;background:#eee")
        self.face_state = QLabel()
        self.face_state.setWordWrap(True)
        self.checks = CheckGrid(self.lang)
        self.board = FingerBoard(self.lang, console.policy.fingers, console.policy.finger_min_nfiq2, (150, 169),
                                 (104, 117))
        self.exceptions = QLabel()
        self.exceptions.setWordWrap(True)
        self.approval_state = QLabel()
        self.approval_state.setWordWrap(True)
        self.approval_state.setStyleSheet("font-size:12pt")
        self.supervisor = QLineEdit()
        self.supervisor_password = QLineEdit()
        self.supervisor_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.approve_button = QPushButton()
        self.park_button = QPushButton()
        self.submit_button = QPushButton()
        self.submit_button.setStyleSheet("font-size:13pt;font-weight:bold;padding:6px 18px")
        self.cancel_button = QPushButton()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color:{FAIL}")
        face_widget = QWidget()
        face_widget.setFixedWidth(400)
        face = QVBoxLayout(face_widget)
        face.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.photo, alignment=Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.face_state, 1, alignment=Qt.AlignmentFlag.AlignTop)
        face.addLayout(top)
        face.addWidget(self.checks)
        face.addStretch()
        self.approval_box = QFrame()
        self.approval_box.setObjectName("approval")
        self.approval_box.setStyleSheet("#approval{background:#fff6e0;border:1px solid #e0b44c;border-radius:4px}")
        approval = QHBoxLayout(self.approval_box)
        approval.addWidget(self.supervisor)
        approval.addWidget(self.supervisor_password)
        approval.addWidget(self.approve_button)
        approval.addWidget(self.park_button)
        right = QVBoxLayout()
        right.addWidget(self.board, 1)
        right.addWidget(self.exceptions)
        right.addWidget(self.approval_state)
        right.addWidget(self.approval_box)
        right.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch()
        buttons.addWidget(self.submit_button)
        right.addLayout(buttons)
        row = QHBoxLayout(self)
        row.addWidget(face_widget)
        row.addLayout(right, 1)
        self.supervisor.returnPressed.connect(self.supervisor_password.setFocus)
        self.supervisor_password.returnPressed.connect(self.approve)
        self.approve_button.clicked.connect(self.approve)
        self.park_button.clicked.connect(self.park)
        self.submit_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(console.cancel_enrollment)
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F7: self.park, Qt.Key.Key_F8: self.submit}

    def retranslate(self) -> None:
        self.supervisor.setPlaceholderText(self.tr("ui.supervisor"))
        self.supervisor_password.setPlaceholderText(self.tr("ui.password"))
        self.approve_button.setText(keyed(self.tr("ui.approve"), "Enter"))
        self.park_button.setText(keyed(self.tr("console.park"), "F7"))
        self.submit_button.setText(keyed(self.tr("ui.submit"), "F8"))
        self.cancel_button.setText(self.tr("console.cancel"))
        self.checks.retranslate()
        self.board.retranslate()
        if self.console.enrollment is not None and self.console.page == self.name:
            self.show_record()

    def entered(self) -> None:
        self.message.clear()
        self.supervisor.clear()
        self.supervisor_password.clear()
        self.show_record()

    def show_record(self) -> None:
        enrollment = self.console.enrollment
        record = enrollment.record
        if record.face is not None:
            self.photo.setPixmap(jpeg_pixmap(record.face.jpeg))
            self.console.header.show_photo(jpeg_pixmap(record.face.jpeg))
            failing = [c for c in record.face.checks if not c.passed]
            state = (self.tr("console.face_all_passed") if not failing
                     else self.tr("console.face_failing", count=len(failing)))
            if record.face.quality_exception:
                state += "\n" + self.tr("console.face_exception")
            self.face_state.setText(state)
            self.face_state.setStyleSheet(f"color:{FAIL if failing else DONE};font-size:12pt;font-weight:bold")
            self.checks.show_checks(record.face.checks)
        self.board.show_sequence(record.fingers, record.exceptions, None)
        listed = [self.tr("ui.review_exception", finger=e.position, reason=e.reason) for e in record.exceptions]
        if record.face is not None and record.face.quality_exception:
            listed.insert(0, self.tr("console.face_exception"))
        if listed:
            self.exceptions.setText(self.tr("console.exceptions", list="; ".join(listed)))
            self.exceptions.setStyleSheet(f"color:{EXEMPT};font-size:12pt")
        else:
            self.exceptions.setText(self.tr("console.no_exceptions"))
            self.exceptions.setStyleSheet(f"color:{DONE};font-size:12pt")
        needs = enrollment.needs_approval
        if record.approval is not None:
            self.approval_state.setText(self.tr("console.approved_by", name=record.approval.supervisor,
                                                time=self.console_time(record.approval.at)))
            self.approval_state.setStyleSheet(f"color:{DONE};font-size:12pt")
        elif needs:
            self.approval_state.setText(self.tr("ui.needs_approval") + " " + self.tr("console.approve_how"))
            self.approval_state.setStyleSheet(f"color:{EXEMPT};font-size:12pt")
        else:
            self.approval_state.setText(self.tr("console.no_approval_needed"))
            self.approval_state.setStyleSheet("color:#444;font-size:12pt")
        self.approval_box.setVisible(needs)
        self.submit_button.setEnabled(not needs)
        (self.supervisor if needs else self.submit_button).setFocus()

    def console_time(self, stamp: str) -> str:
        from station.counter import local_time

        return local_time(stamp, self.console.zone)

    def approve(self) -> None:
        """A supervisor at the counter approves this record (their password checked on a pool thread)."""
        if not self.console.enrollment.needs_approval:
            return
        self.approve_button.setEnabled(False)

        def done(_r) -> None:
            self.approve_button.setEnabled(True)
            self.supervisor_password.clear()
            self.message.clear()
            self.show_record()

        def failed(exc) -> None:
            self.approve_button.setEnabled(True)
            self.message.setText(render_error(exc, self.lang.code))
            self.supervisor_password.selectAll()

        run_job(self.console.enrollment.approve, self.supervisor.text().strip(), self.supervisor_password.text(),
                on_done=done, on_error=failed)

    def park(self) -> None:
        """Hand the record to the supervisors' queue and call the next applicant."""
        enrollment = self.console.enrollment
        if enrollment is None or not enrollment.needs_approval:
            return
        number = self.console.counter.park(enrollment)
        self.console.show_notice(self.tr("console.parked", number=number))
        self.console.enrollment_finished()

    def submit(self) -> None:
        enrollment = self.console.enrollment
        if enrollment is None or enrollment.needs_approval or not self.submit_button.isEnabled():
            return
        self.submit_button.setEnabled(False)

        def sealed(packet_id) -> None:
            self.console.last_packet = packet_id
            self.console.counter.submitted(enrollment.record.application["number"])
            self.console.show_page("done")
            run_job(enrollment.deliver, on_done=lambda _r: self.delivered(enrollment),
                    on_error=lambda _e: self.delivered(enrollment))

        def failed(exc) -> None:
            self.submit_button.setEnabled(True)
            self.message.setText(render_error(exc, self.lang.code))

        run_job(enrollment.submit, on_done=sealed, on_error=failed)

    def delivered(self, enrollment) -> None:
        self.console.refresh_status()
        done = self.console.pages["done"]
        if self.console.page == "done" and done.enrollment is enrollment:
            done.show_delivery()


class DonePage(Page):
    """Where the record is now, the applicant's slip (preview, print, PDF), and the next applicant."""

    name = "done"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.heading = QLabel()
        self.heading.setFont(big_font(18))
        self.heading.setStyleSheet(f"color:{DONE}")
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setStyleSheet("font-size:13pt")
        self.preview = QLabel()
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("background:#d9dde6;padding:6px")
        self.preview.setMinimumSize(300, 300)
        self.print_button = QPushButton()
        self.pdf_button = QPushButton()
        self.next_button = QPushButton()
        self.next_button.setStyleSheet("font-size:13pt;font-weight:bold;padding:6px 18px")
        self.message = QLabel()
        self.message.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.heading)
        left.addWidget(self.state)
        left.addSpacing(12)
        left.addWidget(self.print_button)
        left.addWidget(self.pdf_button)
        left.addWidget(self.message)
        left.addStretch()
        left.addWidget(self.next_button)
        row = QHBoxLayout(self)
        row.addLayout(left, 1)
        row.addWidget(self.preview, 1)
        self.print_button.clicked.connect(self.print_slip)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.next_button.clicked.connect(self.next)
        self.enrollment = None
        self.slip = None
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F8: self.next, Qt.Key.Key_F9: self.print_slip, Qt.Key.Key_F10: self.save_pdf}

    def retranslate(self) -> None:
        self.heading.setText(self.tr("console.done_heading"))
        self.print_button.setText(keyed(self.tr("console.print_slip"), "F9"))
        self.pdf_button.setText(keyed(self.tr("console.save_slip"), "F10"))
        self.next_button.setText(keyed(self.tr("ui.next_applicant"), "F8"))
        if self.enrollment is not None:
            self.show_delivery()
            self.make_slip()

    def entered(self) -> None:
        self.enrollment = self.console.enrollment
        self.message.clear()
        face = self.enrollment.record.face
        if face is not None:
            self.console.header.show_photo(jpeg_pixmap(face.jpeg))
        self.show_delivery()
        self.make_slip()
        self.next_button.setFocus()

    def show_delivery(self) -> None:
        delivery = self.enrollment.delivery if self.enrollment is not None else None
        if delivery is None:
            self.state.clear()
        elif delivery.delivered:
            self.state.setText(self.tr("console.delivered", packet=delivery.packet_id))
        else:
            self.state.setText(self.tr("enroll.in_outbox", packet=delivery.packet_id))

    def make_slip(self) -> None:
        """The slip's preview, when the slip module is installed (else its buttons stay hidden)."""
        self.slip = None
        try:
            from station.slip import slip_from_record

            from .slip_print import render_slip_preview
        except ImportError:
            for w in (self.print_button, self.pdf_button, self.preview):
                w.hide()
            return
        record = self.enrollment.record
        packet = self.enrollment.delivery.packet_id if self.enrollment.delivery else None
        try:
            self.slip = slip_from_record(record, self.console.station.settings, language=self.lang.code,
                                         packet_id=packet)
            image = render_slip_preview(self.slip, 620)
        except Exception as exc:  # the record is safe whatever the slip does: say so, keep the page
            log.warning("the slip could not be made: %s", exc, exc_info=True)
            self.slip = None
            self.message.setText(render_error(exc, self.lang.code))
            return
        for w in (self.print_button, self.pdf_button, self.preview):
            w.show()
        self.preview.setPixmap(QPixmap.fromImage(image).scaled(
            max(self.preview.width() - 12, 300), max(self.preview.height() - 12, 300),
            Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))

    def print_slip(self) -> None:
        if self.slip is None:
            return
        from .slip_print import print_slip

        if print_slip(self, self.slip):
            self.message.setText(self.tr("console.slip_printed"))

    def save_pdf(self) -> None:
        if self.slip is None:
            return
        from .slip_print import save_slip_pdf_as

        path = save_slip_pdf_as(self, self.slip)
        if path is not None:
            self.message.setText(self.tr("console.slip_saved", path=str(path)))

    def next(self) -> None:
        self.console.enrollment_finished()
