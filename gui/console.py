"""The officer console: first run, log-in, today's queue, consent, face, fingers, review, approvals.

The window only shows and forwards: the order of the steps is ``EnrollmentFlow``'s, the
captures are ``FaceCapture`` and ``FingerSequence``, the day's queue and the approvals
waiting are ``station.counter``'s, delivery is ``Station``'s. Devices run on threads,
matching in worker processes, so the GUI thread never waits on either.

Laid out for a counter that sees hundreds of applicants a day: every enrollment screen has
the step bar and the applicant's header above it, fits a 1366×768 screen without scrolling,
and works from the keyboard alone; each page's keys are shown on its buttons and are
dispatched by the window (``Page.keys``), so they work wherever the focus is.
"""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from domain.catalog import render_error
from enrollment.face_capture import FaceCapture, FaceState
from enrollment.finger_capture import FingerOutcome
from enrollment.policy import Policy
from station.checkin import QrReader
from station.counter import Counter, Status, local_time, queue_rows
from station.enrollment import Enrollment
from station.first_run import needs_first_run

from .approvals import ApprovalsPage
from .audit_view import AuditPage
from .first_run import FirstRunPage, fit_wrapped
from .hand import FingerBoard, HandDiagram
from .i18n import Language
from .jobs import finish_jobs, run_job, when_ready
from .page import Page, keyed
from .review import DonePage, ReviewPage, jpeg_pixmap
from .step_bar import ApplicantHeader, StepBar
from .widgets import (
    FAIL,
    CameraThread,
    CheckGrid,
    InputClock,
    LanguageButton,
    VideoView,
    big_font,
    face_overlay,
    to_qimage,
)

log = logging.getLogger("biostation.gui")

WINDOW = (1366, 768)  # the size the console is laid out for; it opens no larger than the screen's free area
MINIMUM = (1024, 640)  # what it still works at (status bar included)
ENROLLMENT_PAGES = ("consent", "face", "fingers", "review", "done")


class LoginPage(Page):
    name = "login"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.title = QLabel()
        self.title.setFont(big_font(18))
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.office = QLabel()
        self.office.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.office.setStyleSheet("color:#444;font-size:13pt")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton()
        self.message = QLabel()
        self.message.setStyleSheet(f"color:{FAIL}")
        self.message.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#555")
        self.user_label, self.password_label = QLabel(), QLabel()
        card = QFrame()
        card.setObjectName("card")
        card.setStyleSheet("#card{border:1px solid #c8ccd4;border-radius:8px;background:#fafbfd}")
        card.setFixedWidth(440)
        form = QVBoxLayout(card)
        form.setContentsMargins(28, 24, 28, 24)
        for w in (self.title, self.office, self.user_label, self.user, self.password_label, self.password,
                  self.button, self.message, self.hint):
            form.addWidget(w)
        form.insertSpacing(2, 12)
        box = QVBoxLayout(self)
        box.addStretch()
        box.addWidget(card, alignment=Qt.AlignmentFlag.AlignCenter)
        box.addStretch()
        self.button.clicked.connect(self.login)
        self.user.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.login)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("ui.console_title"))
        self.office.setText(self.console.office)
        self.user_label.setText(self.tr("ui.name"))
        self.password_label.setText(self.tr("ui.password"))
        self.button.setText(self.tr("console.login_key"))
        self.hint.setText(self.tr("console.login_hint"))
        for label in (self.title, self.hint):
            fit_wrapped(label, 384)

    def entered(self) -> None:
        self.office.setText(self.console.office)
        self.password.clear()
        self.user.setFocus()

    def login(self) -> None:
        name, password = self.user.text().strip(), self.password.text()
        self.button.setEnabled(False)

        def done(officer) -> None:
            self.button.setEnabled(True)
            self.message.clear()
            self.console.logged_in(officer)

        def failed(exc) -> None:
            self.button.setEnabled(True)
            self.message.setText(render_error(exc, self.lang.code))
            self.password.selectAll()
            self.password.setFocus()

        run_job(self.console.station.officers.authenticate, name, password, on_done=done, on_error=failed)


class CameraOffer(QFrame):
    """With no camera: play a video file or a folder of photos as the camera instead (a ``file:`` camera)."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.setStyleSheet("CameraOffer{background:#fff6e0;border:1px solid #e0b44c;border-radius:4px}")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.path = QLineEdit()
        self.browse = QPushButton()
        self.use = QPushButton()
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        row.addWidget(self.use)
        box = QVBoxLayout(self)
        box.addWidget(self.text)
        box.addLayout(row)
        self.browse.clicked.connect(self.choose)
        self.use.clicked.connect(self.apply)
        self.path.returnPressed.connect(self.apply)
        self.retranslate()

    def retranslate(self) -> None:
        self.text.setText(self.console.lang.tr("console.camera_offer"))
        self.path.setPlaceholderText(self.console.lang.tr("console.camera_path"))
        self.browse.setText(self.console.lang.tr("ui.browse"))
        self.use.setText(self.console.lang.tr("console.camera_use"))

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.console.lang.tr("console.camera_offer"))
        if path:
            self.path.setText(path)

    def apply(self) -> None:
        if self.path.text().strip():
            self.console.use_file_camera(self.path.text().strip())


class QueuePage(Page):
    """Today's appointments as a table the officer sorts and searches; Enter opens the chosen one."""

    name = "queue"
    COLUMNS = ("console.col_time", "console.col_number", "console.col_name", "console.col_service",
               "console.col_status")

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.heading = QLabel()
        self.heading.setFont(big_font(17))
        self.search = QLineEdit()
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # the day in appointment order
        self.table.setStyleSheet("font-size:12pt")
        self.open_button = QPushButton()
        self.refresh_button = QPushButton()
        self.qr_button = QPushButton()
        self.approvals_button = QPushButton()
        self.audit_button = QPushButton()
        self.qr: CameraThread | None = None
        self.offer = CameraOffer(console)
        self.message = QLabel()
        self.message.setStyleSheet(f"color:{FAIL}")
        self.message.setWordWrap(True)
        self.rows: list = []
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch()
        top.addWidget(self.approvals_button)
        top.addWidget(self.audit_button)
        top.addWidget(self.refresh_button)
        find = QHBoxLayout()
        find.addWidget(self.search, 1)
        find.addWidget(self.qr_button)
        find.addWidget(self.open_button)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(find)
        box.addWidget(self.table, 1)
        box.addWidget(self.message)
        box.addWidget(self.offer)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.open_from_search)
        self.table.activated.connect(lambda _index: self.open_application())
        self.open_button.clicked.connect(lambda: self.open_application())
        self.qr_button.clicked.connect(self.scan_qr)
        self.refresh_button.clicked.connect(self.refresh)
        self.approvals_button.clicked.connect(lambda: self.console.show_page("approvals"))
        self.audit_button.clicked.connect(lambda: self.console.show_page("audit"))
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F5: self.refresh, Qt.Key.Key_F6: lambda: self.console.show_page("approvals"),
                Qt.Key.Key_F3: self.scan_qr, Qt.Key.Key_F8: self.open_application}

    def retranslate(self) -> None:
        office = self.console.office
        self.heading.setText(self.tr("console.queue_heading", office=office) if office else self.tr("ui.queue_today"))
        self.search.setPlaceholderText(self.tr("console.search"))
        self.open_button.setText(keyed(self.tr("ui.start_enrollment"), "F8"))
        self.refresh_button.setText(keyed(self.tr("ui.refresh"), "F5"))
        self.qr_button.setText(keyed(self.tr("ui.scan_qr"), "F3"))
        self.audit_button.setText(self.tr("ui.audit_log"))
        self.approvals_button.setText(keyed(self.tr("console.approvals_count", count=len(self.console.counter.pending)),
                                            "F6"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        self.offer.retranslate()
        self.show_rows()

    def entered(self) -> None:
        """Back at the queue: a clear search, the list fetched again, the next waiting applicant selected."""
        self.search.clear()
        self.message.clear()
        self.refresh()

    def refresh(self) -> None:
        officer = self.console.officer
        self.audit_button.setVisible(bool(officer and officer.may("audit")))
        self.offer.setVisible(self.console.camera is None)
        self.retranslate()
        self.search.setFocus()

        def show(result) -> None:
            listing, fresh = result
            self.rows = queue_rows(listing, self.console.zone, self.console.counter.statuses)
            self.show_rows()
            self.message.setText("" if fresh else self.tr("ui.offline_queue"))

        run_job(self.console.desk.appointments, on_done=show, on_error=self.console.show_error)

    def show_rows(self) -> None:
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(self.rows))
        colours = {Status.WAITING: "#222", Status.IN_PROGRESS: "#1f4fd1", Status.AWAITING_APPROVAL: "#c77c02",
                   Status.SUBMITTED: "#17702e"}
        for i, row in enumerate(self.rows):
            status = self.console.counter.statuses.get(row.number, row.status)
            cells = (row.time, row.number, row.name, self.tr(f"name.service.{row.service}"),
                     self.tr(f"console.status_{status.value}"))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.number)
                if j == 4:
                    item.setForeground(QColor(colours[status]))
                table.setItem(i, j, item)
        table.setSortingEnabled(True)
        self.filter(self.search.text())
        waiting = self.tr(f"console.status_{Status.WAITING.value}")
        visible = [i for i in range(table.rowCount()) if not table.isRowHidden(i)]
        ready = [i for i in visible if table.item(i, 4).text() == waiting]
        if ready or visible:  # the next applicant still waiting is the one Enter opens
            table.selectRow((ready or visible)[0])

    def filter(self, text: str) -> None:
        """Hide the rows the search does not match; keep a visible row selected for Enter."""
        by_number = {r.number: r for r in self.rows}
        first = None
        for i in range(self.table.rowCount()):
            item = self.table.item(i, 0)
            row = by_number.get(item.data(Qt.ItemDataRole.UserRole)) if item else None
            hidden = row is not None and not row.matches(text)
            self.table.setRowHidden(i, hidden)
            if not hidden and first is None:
                first = i
        if first is not None and (self.table.currentRow() < 0 or self.table.isRowHidden(self.table.currentRow())):
            self.table.selectRow(first)

    def selected_number(self) -> str | None:
        row = self.table.currentRow()
        if row < 0 or self.table.isRowHidden(row):
            return None
        item = self.table.item(row, 1)
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def open_from_search(self) -> None:
        """Enter in the search box: the one matching row, else the number as typed (or scanned)."""
        visible = [i for i in range(self.table.rowCount()) if not self.table.isRowHidden(i)]
        if len(visible) == 1 or (visible and not self.search.text().strip()):
            self.open_application()
        elif self.search.text().strip():
            self.open_application(self.search.text().strip())

    def scan_qr(self) -> None:
        """Read the registration's QR code with the camera (OpenCV's detector, on the camera thread)."""
        if self.console.camera is None:
            self.message.setText(self.tr("ui.camera_missing"))
            return
        if self.qr is not None:
            return
        self.message.setText(self.tr("ui.show_qr"))
        self.qr = CameraThread(self.console.camera, QrReader())
        self.qr.frame.connect(lambda _img, number: number and self.scanned(number))
        self.qr.start()

    def scanned(self, number: str) -> None:
        self.stop_qr()
        self.search.setText(number)
        self.message.clear()

    def stop_qr(self) -> None:
        if self.qr is not None:
            self.qr.stop()
            self.qr = None

    def open_application(self, number: str | None = None) -> None:
        self.stop_qr()
        number = number or self.selected_number() or self.search.text().strip()
        if not number:
            return
        console = self.console
        enrollment = Enrollment(console.station, console.officer, console.policy, console.desk, console.camera,
                                console.scanner, console.profile, console.workers)

        def opened(application) -> None:
            console.start_enrollment(enrollment, application)

        run_job(enrollment.flow.open_application, number, on_done=opened,
                on_error=lambda exc: self.message.setText(render_error(exc, self.lang.code)))


class ConsentPage(Page):
    """The privacy notice read out, the applicant's consent (and a guardian's for a minor) recorded."""

    name = "consent"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setStyleSheet("font-size:14pt;background:#fafbfd;border:1px solid #c8ccd4;padding:16px")
        self.consent = QCheckBox()
        self.consent.setStyleSheet("font-size:13pt")
        self.guardian = QLineEdit()
        self.guardian_label = QLabel()
        self.next_button = QPushButton()
        self.back_button = QPushButton()
        self.message = QLabel()
        self.message.setStyleSheet(f"color:{FAIL};font-size:12pt")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch()
        buttons.addWidget(self.next_button)
        box = QVBoxLayout(self)
        box.addWidget(self.text)
        box.addSpacing(12)
        box.addWidget(self.consent)
        box.addWidget(self.guardian_label)
        box.addWidget(self.guardian)
        box.addWidget(self.message)
        box.addStretch()
        box.addLayout(buttons)
        self.consent.toggled.connect(lambda _on: self.message.clear())
        self.guardian.returnPressed.connect(self.next)
        self.next_button.clicked.connect(self.next)
        self.back_button.clicked.connect(self.console.cancel_enrollment)
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F8: self.next, Qt.Key.Key_Escape: self.console.cancel_enrollment}

    def retranslate(self) -> None:
        self.text.setText(self.tr("consent.text"))
        self.consent.setText(keyed(self.tr("ui.consent_obtained"), self.tr("console.key_space")))
        self.guardian_label.setText(self.tr("ui.guardian"))
        self.next_button.setText(keyed(self.tr("ui.next"), "F8"))
        self.back_button.setText(keyed(self.tr("console.cancel"), "Esc"))

    def entered(self) -> None:
        enrollment = self.console.enrollment
        born = enrollment.record.application.get("birth_date", "")
        minor = bool(born) and self.console.policy.needs_guardian(born, enrollment.flow.today)
        self.consent.setChecked(False)
        self.guardian.clear()
        self.guardian.setVisible(minor)
        self.guardian_label.setVisible(minor)
        self.message.clear()
        self.consent.setFocus()

    def next(self) -> None:
        flow = self.console.enrollment.flow

        def recorded(_r) -> None:
            self.console.show_page("face")

        run_job(flow.record_consent, self.consent.isChecked(), self.guardian.text().strip() or None,
                on_done=recorded, on_error=lambda exc: self.message.setText(render_error(exc, self.lang.code)))


class FacePage(Page):
    name = "face"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.video = VideoView(480, 300)
        self.checks = CheckGrid(self.lang)
        self.instruction = QLabel()
        self.instruction.setFont(big_font(16))
        self.instruction.setWordWrap(True)
        self.instruction.setMinimumHeight(56)
        self.instruction.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.checks_title = QLabel()
        self.checks_title.setStyleSheet("font-weight:bold")
        self.crop = QLabel()
        self.crop.setFixedSize(124, 160)
        self.crop.setScaledContents(True)
        self.crop.setStyleSheet("background:#eee;border:1px solid #ccc")
        self.capture_button = QPushButton()
        self.retry_button = QPushButton()
        self.keep_button = QPushButton()
        self.next_button = QPushButton()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(10)
        self.busy.setTextVisible(False)
        self.busy.hide()
        self.offer = CameraOffer(console)
        buttons = QVBoxLayout()
        for b in (self.capture_button, self.retry_button, self.keep_button, self.next_button):
            buttons.addWidget(b)
        buttons.addWidget(self.busy)
        buttons.addStretch()
        bottom = QHBoxLayout()
        bottom.addWidget(self.crop, alignment=Qt.AlignmentFlag.AlignTop)
        bottom.addLayout(buttons, 1)
        side_widget = QWidget()
        side_widget.setFixedWidth(420)
        side = QVBoxLayout(side_widget)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.instruction)
        side.addWidget(self.checks_title)
        side.addWidget(self.checks)
        side.addStretch()
        side.addLayout(bottom)
        left = QVBoxLayout()
        left.addWidget(self.video, 1)
        left.addWidget(self.offer)
        row = QHBoxLayout(self)
        row.addLayout(left, 1)
        row.addWidget(side_widget)
        self.capture_button.clicked.connect(self.manual_capture)
        self.retry_button.clicked.connect(self.retry)
        self.keep_button.clicked.connect(self.finish)
        self.next_button.clicked.connect(self.next)
        self.thread: CameraThread | None = None
        self.capture: FaceCapture | None = None
        self.kept = False
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F2: self.manual_capture, Qt.Key.Key_F3: self.retry, Qt.Key.Key_F4: self.keep_if_offered,
                Qt.Key.Key_F8: self.next}

    def retranslate(self) -> None:
        self.capture_button.setText(keyed(self.tr("ui.capture_now"), "F2"))
        self.retry_button.setText(keyed(self.tr("console.retry"), "F3"))
        self.keep_button.setText(keyed(self.tr("ui.keep_best"), "F4"))
        self.next_button.setText(keyed(self.tr("ui.next"), "F8"))
        self.checks_title.setText(self.tr("console.icao_checks"))
        self.checks.retranslate()
        self.offer.retranslate()

    def entered(self) -> None:
        self.kept = False
        self.keep_button.hide()
        self.next_button.hide()
        self.capture_button.show()
        self.retry_button.show()
        self.crop.clear()
        self.checks.show_checks(())
        self.video.clear()
        self.offer.setVisible(self.console.camera is None)
        self.start_camera()

    def start_camera(self) -> None:
        console = self.console
        self.stop_camera()
        if console.camera is None:
            self.instruction.setText(self.tr("ui.camera_missing"))
            self.video.setText(self.tr("console.no_camera_here"))
            return
        self.capture = console.enrollment.face_capture()
        self.thread = CameraThread(console.camera, self.capture.observe_frame, face_overlay)
        self.thread.frame.connect(self.show_frame)
        self.thread.failed.connect(console.show_error)
        self.thread.start()

    def show_frame(self, image: QImage, guidance) -> None:
        if self.kept:
            return
        self.video.show_image(image)
        if guidance is None:
            return
        if guidance.checks:
            self.checks.show_checks(guidance.checks)
        if guidance.instruction:
            self.instruction.setText(self.tr(guidance.instruction))
        if guidance.state is FaceState.CAPTURED:
            self.finish()
        elif guidance.state is FaceState.TIMED_OUT:
            self.instruction.setText(self.tr("ui.face_timeout"))
            self.keep_button.show()
        elif guidance.state is FaceState.LIVENESS_FAILED:
            self.instruction.setText(self.tr("enroll.liveness_failed"))

    def manual_capture(self) -> None:
        if self.capture is not None and not self.kept:
            self.capture.capture_now()
            if self.capture.state is FaceState.CAPTURED:
                self.finish()
            else:
                self.keep_button.show()

    def keep_if_offered(self) -> None:
        if self.keep_button.isVisible():
            self.finish()

    def retry(self) -> None:
        """Start the photo again: a fresh capture, its time limit from now."""
        if not self.kept and not self.busy.isVisible():
            self.keep_button.hide()
            self.start_camera()

    def stop_camera(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None

    def next(self) -> None:
        if self.next_button.isVisible():
            self.console.show_page("fingers")

    def finish(self) -> None:
        """Stop the camera; the descriptor is computed in a worker process, the crop here."""
        if self.capture is None or self.capture.chosen is None or self.busy.isVisible() or self.kept:
            return
        self.stop_camera()
        enrollment = self.console.enrollment
        self.busy.show()
        capture = self.capture

        def encoded(encoding) -> None:
            run_job(enrollment.keep_face, capture, encoding.descriptor if encoding is not None else None,
                    on_done=kept, on_error=failed)

        def failed(exc) -> None:
            self.busy.hide()
            self.console.show_error(exc)

        def kept(result) -> None:
            self.busy.hide()
            self.kept = True
            photo = jpeg_pixmap(result.jpeg)
            self.crop.setPixmap(photo)
            self.console.header.show_photo(photo)
            import cv2

            crop = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_COLOR)
            self.video.show_image(to_qimage(crop))
            self.checks.show_checks(result.checks)  # the kept photo's own results stay on screen
            self.instruction.setText(self.tr("ui.face_done") if not result.quality_exception
                                     else self.tr("console.face_kept_exception"))
            self.next_button.show()
            self.keep_button.hide()
            self.capture_button.hide()
            self.retry_button.hide()
            self.next_button.setFocus()

        future = enrollment.describe_face(capture)
        if future is None:
            encoded(None)
        else:
            when_ready(future, encoded, failed)


class ReasonBox(QComboBox):
    """The exception's reason; F4 is the page's "exception" key here too, not Qt's "open the list" (Alt+Down is)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_F4:
            event.ignore()  # up to the window, which marks the exception
            return
        super().keyPressEvent(event)


class FingerPage(Page):
    """The hands drawn, the current finger's live image and quality, each finger's tile, exceptions."""

    name = "fingers"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.hand = HandDiagram()
        self.state = QLabel()
        self.state.setFont(big_font(16))
        self.state.setWordWrap(True)
        self.state.setMinimumHeight(56)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.image = QLabel()
        self.image.setFixedSize(192, 216)
        self.image.setScaledContents(True)
        self.image.setStyleSheet("background:#f4f4f4;border:1px solid #ccc")
        self.quality = QProgressBar()
        self.quality.setRange(0, 100)
        self.threshold = QLabel()
        self.reason = ReasonBox()
        self.exception_button = QPushButton()
        self.retry_button = QPushButton()
        self.keep_button = QPushButton()
        self.next_button = QPushButton()
        minimum = console.policy.finger_min_nfiq2
        self.board = FingerBoard(self.lang, console.policy.fingers, minimum)
        controls = QVBoxLayout()
        controls.addWidget(self.state)
        controls.addWidget(self.retry_button)
        controls.addSpacing(8)
        controls.addWidget(self.reason)
        controls.addWidget(self.exception_button)
        controls.addWidget(self.keep_button)
        controls.addStretch()
        controls.addWidget(self.next_button)
        top = QHBoxLayout()
        top.addWidget(self.image, alignment=Qt.AlignmentFlag.AlignTop)
        top.addLayout(controls, 1)
        left_widget = QWidget()
        left_widget.setFixedWidth(500)
        left = QVBoxLayout(left_widget)
        left.setContentsMargins(0, 0, 0, 0)
        left.addWidget(self.hand, 1)
        left.addLayout(top)
        left.addWidget(self.progress)
        left.addWidget(self.quality)
        left.addWidget(self.threshold)
        row = QHBoxLayout(self)
        row.addWidget(left_widget)
        row.addWidget(self.board, 1)
        self.exception_button.clicked.connect(self.mark_exception)
        self.retry_button.clicked.connect(self.retry)
        self.keep_button.clicked.connect(self.keep_best)
        self.next_button.clicked.connect(self.to_review)
        self.cancel: threading.Event | None = None
        self.attempt = 0
        self.capturing = False
        self.poor: dict = {}
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F3: self.retry, Qt.Key.Key_F4: self.mark_exception, Qt.Key.Key_F7: self.keep_best,
                Qt.Key.Key_F8: self.to_review}

    def retranslate(self) -> None:
        self.exception_button.setText(keyed(self.tr("ui.mark_exception"), "F4"))
        self.retry_button.setText(keyed(self.tr("console.retry_finger"), "F3"))
        self.keep_button.setText(keyed(self.tr("ui.keep_best_print"), "F7"))
        self.next_button.setText(keyed(self.tr("ui.review"), "F8"))
        current = self.reason.currentData()
        self.reason.clear()
        for reason in ("missing", "injured"):
            self.reason.addItem(self.tr(f"name.reason.{reason}"), reason)
        if current:
            self.reason.setCurrentIndex(max(0, self.reason.findData(current)))
        minimum = self.console.policy.finger_min_nfiq2
        self.quality.setFormat(self.tr("ui.quality_format", minimum=minimum))
        self.threshold.setText(self.tr("console.threshold", minimum=minimum))
        self.board.retranslate()

    @property
    def fingers(self):
        return self.console.enrollment.fingers

    def refresh(self) -> None:
        seq = self.fingers
        states = {p: "todo" for p in seq.positions}
        states.update({p: "poor" for p in self.poor})
        states.update({r.position: "done" for r in seq.results})
        states.update({e.position: "exempt" for e in seq.exceptions})
        self.hand.set_state(states, seq.current)
        self.board.show_sequence(seq.results, seq.exceptions, seq.current, self.poor)

    def entered(self) -> None:
        self.poor = {}
        self.keep_button.hide()
        self.next_button.hide()
        self.image.clear()
        self.quality.setValue(0)
        self.retry_button.setFocus()
        self.next_capture()

    def next_capture(self) -> None:
        self.refresh()
        position = self.fingers.current
        self.keep_button.hide()
        if position is None:
            self.capturing = False
            self.state.setText(self.tr("ui.fingers_done"))
            self.next_button.show()
            self.next_button.setFocus()
            self.exception_button.setEnabled(False)
            self.retry_button.setEnabled(False)
            return
        self.exception_button.setEnabled(True)
        self.retry_button.setEnabled(True)
        if self.console.scanner is None:
            self.state.setText(self.tr("ui.scanner_missing"))
            return
        self.state.setText(self.tr("sensor.place_finger", finger=position))
        self.progress.setValue(0)
        self.attempt += 1
        attempt = self.attempt
        self.cancel = cancel = threading.Event()
        self.capturing = True
        enrollment = self.console.enrollment
        if enrollment.confirms_on_sensor:  # one upload a finger: the whole placement on a pool thread
            run_job(lambda progress: enrollment.place_finger(progress, cancel),
                    on_done=lambda placed: self.placed(placed, attempt, position),
                    on_error=lambda exc: self.capture_failed(exc, attempt),
                    on_progress=lambda f: self.progress.setValue(int(f * 100)))
            return
        run_job(lambda progress: enrollment.capture_finger(progress, cancel),
                on_done=lambda image: self.captured(image, attempt, position),
                on_error=lambda exc: self.capture_failed(exc, attempt),
                on_progress=lambda f: self.progress.setValue(int(f * 100)))

    def _stale(self, attempt: int) -> bool:
        """A capture the officer has moved past (an exception marked, a retry asked for)."""
        return attempt != self.attempt or self.console.page != self.name

    def capture_failed(self, exc, attempt: int) -> None:
        if self._stale(attempt):
            return
        self.capturing = False
        self.state.setText(render_error(exc, self.lang.code) + "  " + self.tr("console.press_retry"))

    def captured(self, image, attempt: int, position) -> None:
        if self._stale(attempt) or self.fingers.current != position:
            return
        self.image.setPixmap(QPixmap.fromImage(to_qimage(image.pixels)))
        enrollment = self.console.enrollment
        run_job(enrollment.wait_for_lift)

        def extracted(details) -> None:
            if not self._stale(attempt):
                run_job(enrollment.judge, image, details, on_done=judged, on_error=self.console.show_error)

        def judged(step) -> None:
            if not self._stale(attempt):
                self.show_step(step, image.pixels, position)

        future = enrollment.extract(image)
        if future is None:
            extracted(None)
        else:
            when_ready(future, extracted, self.console.show_error)

    def placed(self, placed, attempt: int, position) -> None:
        """A placement done on the sensor's side and judged (``Enrollment.place_finger``)."""
        if self._stale(attempt):
            return
        if placed.pixels is not None:
            self.image.setPixmap(QPixmap.fromImage(to_qimage(placed.pixels)))
        self.show_step(placed.step, placed.pixels, position)

    def show_step(self, step, pixels, position) -> None:
        """The judgement on screen, then the next placement (or the choice once attempts run out)."""
        self.quality.setValue(step.quality)
        self.state.setText(self.tr(step.message_id, **step.params))
        if step.outcome in (FingerOutcome.POOR_QUALITY, FingerOutcome.INCONSISTENT, FingerOutcome.EXHAUSTED,
                            FingerOutcome.SAME_AS_OTHER) and pixels is not None:
            self.poor[position] = (pixels, step.quality)
        else:
            self.poor.pop(position, None)
        if step.outcome is FingerOutcome.EXHAUSTED:
            self.capturing = False
            self.refresh()
            self.keep_button.show()
            self.keep_button.setFocus()
            return
        self.next_capture()

    def _abandon(self) -> None:
        """Stop waiting for the capture in flight; its result, when it comes, is ignored. A placement
        in flight is withdrawn: once this returns it has changed the sequence already or never will."""
        self.attempt += 1
        if self.cancel is not None:
            enrollment = self.console.enrollment
            if enrollment is not None:
                enrollment.withdraw(self.cancel)
            else:
                self.cancel.set()
        self.capturing = False

    def retry(self) -> None:
        """Ask for the current finger again now (after a fault, or to start a fresh placement)."""
        if self.fingers.current is not None and not self.keep_button.isVisible():
            self._abandon()
            self.next_capture()

    def mark_exception(self) -> None:
        position = self.fingers.current
        if position is not None:
            self._abandon()
            if self.fingers.current == position:  # not taken by the placement that was just finishing
                self.poor.pop(position, None)
                self.fingers.skip(self.reason.currentData())
            self.next_capture()

    def keep_best(self) -> None:
        if self.keep_button.isVisible():
            self.keep_button.hide()
            self.poor.pop(self.fingers.current, None)
            self.fingers.keep_best()
            self.next_capture()

    def leave(self) -> None:
        self._abandon()

    def to_review(self) -> None:
        if self.fingers.current is not None:
            return
        run_job(self.console.enrollment.fingers_done, on_done=lambda _r: self.console.show_page("review"),
                on_error=self.console.show_error)


class Console(QMainWindow):
    def __init__(self, station, lang: Language, camera, scanner, workers, policy: Policy | None = None,
                 profile=None, idle_lock_s: float = 300.0, office_hint: str = "") -> None:
        """``office_hint``: the office the central record has, offered on the first run (the embedded record's)."""
        super().__init__()
        self.office_hint = office_hint
        self.station, self.lang, self.camera, self.scanner, self.workers = station, lang, camera, scanner, workers
        self.policy = policy or Policy()
        self.profile = profile
        self.desk = station.applications()
        self.counter = Counter(station.parked)
        self.officer = None
        self.enrollment: Enrollment | None = None
        self.appointment_time = ""
        self.last_packet: str | None = None
        self.idle_lock_s = idle_lock_s
        self.last_input = time.monotonic()
        self.step_bar = StepBar(lang)
        self.header = ApplicantHeader(lang)
        self.strip = QWidget()
        strip = QVBoxLayout(self.strip)
        strip.setContentsMargins(6, 4, 6, 0)
        strip.setSpacing(2)
        strip.addWidget(self.step_bar)
        strip.addWidget(self.header)
        self.stack = QStackedWidget()
        self.pages = {p.name: p for p in (FirstRunPage(self), LoginPage(self), QueuePage(self), ConsentPage(self),
                                          FacePage(self), FingerPage(self), ReviewPage(self), DonePage(self),
                                          ApprovalsPage(self), AuditPage(self))}
        for page in self.pages.values():
            self.stack.addWidget(page)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.strip)
        column.addWidget(self.stack, 1)
        self.setCentralWidget(body)
        self.language = LanguageButton(lang)
        self.language.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.language.changed.connect(lambda _c: self.retranslate())
        self.office_label, self.officer_label = QLabel(), QLabel()
        self.devices_label, self.central_label, self.outbox_label = QLabel(), QLabel(), QLabel()
        self.notice = QLabel()  # the last error or note, beside the status rather than over it
        self.notice.setStyleSheet("font-weight:bold;color:#12355b")
        self.notice_timer = QTimer(self)
        self.notice_timer.setSingleShot(True)
        self.notice_timer.timeout.connect(self.notice.clear)
        bar = self.statusBar()
        for w in (self.office_label, self.devices_label, self.central_label, self.outbox_label):
            bar.addWidget(w)
        bar.addWidget(self.notice, 1)
        bar.addPermanentWidget(self.officer_label)
        bar.addPermanentWidget(self.language)
        self.setMinimumSize(*MINIMUM)
        self.fit_to_screen()
        self._idle = InputClock(self, (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(1000)
        self._status_age = 0
        # records an earlier run parked for a supervisor wait in the approvals queue again
        unreadable = self.counter.resume(
            lambda record: Enrollment.awaiting_approval(self.station, self.policy, self.desk, record))
        self.retranslate()
        self.refresh_status()
        self.show_page("first_run" if needs_first_run(station) else "login")
        if unreadable:
            self.show_notice(self.lang.tr("console.parked_unreadable", numbers=", ".join(unreadable)), error=True,
                             seconds=60)

    @property
    def office(self) -> str:
        return self.station.settings.office

    @property
    def zone(self) -> str:
        return self.station.settings.timezone

    @property
    def flow(self):
        """The enrollment's flow (its step and record), for views and tests that read it."""
        return self.enrollment.flow if self.enrollment is not None else None

    def fit_to_screen(self) -> None:
        """1366×768 where there is room, else the screen's free area: the status bar never below its edge."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        width, height = WINDOW
        if screen is not None:
            free = screen.availableGeometry()
            frame = 32  # the title bar the window manager adds above the client area
            width, height = min(width, free.width()), min(height - frame, free.height() - frame)
        self.resize(max(width, MINIMUM[0]), max(height, MINIMUM[1]))

    # -- navigation --------------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        current = self.stack.currentWidget()
        if isinstance(current, FacePage) and name != "face":
            current.stop_camera()
        if isinstance(current, QueuePage) and name != "queue":
            current.stop_qr()
        if isinstance(current, FingerPage) and name != "fingers":
            current.leave()
        page = self.pages[name]
        self.strip.setVisible(name in ENROLLMENT_PAGES)
        if name in ENROLLMENT_PAGES:
            self.step_bar.set_step(name)
        self.stack.setCurrentWidget(page)
        page.entered()

    @property
    def page(self) -> str:
        current = self.stack.currentWidget()
        return current.name if current is not None else ""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """The current page's keys (F2 capture, F3 retry, F4 exception, F8 next …), wherever the focus is."""
        action = self.stack.currentWidget().keys().get(Qt.Key(event.key()))
        if action is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            action()
            event.accept()
            return
        super().keyPressEvent(event)

    def logged_in(self, officer) -> None:
        self.officer = officer
        self.last_input = time.monotonic()
        self.refresh_status()
        self.show_page("queue")

    def start_enrollment(self, enrollment: Enrollment, application: dict) -> None:
        """The application found: its header on every step from here, consent next."""
        self.enrollment = enrollment
        self.counter.started(application["number"])
        self.appointment_time = local_time(application.get("appointment_at", ""), self.zone)
        self.header.show_application(application, self.appointment_time)
        self.header.show_officer(self.lang.tr("console.officer", name=self.officer.name if self.officer else ""))
        self.show_page("consent")

    def cancel_enrollment(self) -> None:
        if self.enrollment is not None and self.enrollment.record is not None:
            number = self.enrollment.record.application["number"]
            if self.counter.statuses.get(number) is Status.IN_PROGRESS:
                self.counter.statuses.pop(number)
            run_job(self.station.audit.record, self.officer.name if self.officer else "-", "enrollment.cancelled",
                    number)
        self.enrollment = None
        self.header.show_application(None)
        self.show_page("queue")

    def enrollment_finished(self) -> None:
        """Submitted or handed to the supervisors' queue: the counter calls the next applicant."""
        self.enrollment = None
        self.header.show_application(None)
        self.show_page("queue")

    def use_file_camera(self, path: str) -> None:
        """Play a video file or a folder of photos as the camera (offered when no camera opened)."""
        from station.demo import open_file_camera

        try:
            camera = open_file_camera(path)
        except Exception as exc:  # a path that is not a video or a folder of images: said, not a crash
            self.show_error(exc)
            return
        self.camera = camera
        if self.enrollment is not None:
            self.enrollment.camera = camera
        self.refresh_status()
        page = self.stack.currentWidget()
        if page.name in ("face", "queue"):
            page.entered()

    def lock(self) -> None:
        run_job(self.station.audit.record, self.officer.name if self.officer else "-", "console.locked")
        self.officer = None
        self.refresh_status()
        self.show_page("login")

    def tick(self) -> None:
        if self.officer is not None and time.monotonic() - self.last_input > self.idle_lock_s and self.page in (
                "queue", "audit", "approvals"):
            self.lock()
        self._status_age += 1
        if self._status_age >= 10:
            self.refresh_status()

    def retranslate(self) -> None:
        self.setWindowTitle(self.lang.tr("ui.console_title") + (f" — {self.office}" if self.office else ""))
        self.step_bar.retranslate()
        self.header.retranslate()
        if self.officer is not None:
            self.header.show_officer(self.lang.tr("console.officer", name=self.officer.name))
        for page in self.pages.values():
            page.retranslate()
        self.refresh_status()

    def show_error(self, exc) -> None:
        self.show_notice(render_error(exc, self.lang.code), error=True)

    def show_notice(self, text: str, error: bool = False, seconds: float = 10.0) -> None:
        """A sentence in the status bar for a while, without covering the devices' and the outbox's state."""
        self.notice.setText(text)
        self.notice.setStyleSheet(f"font-weight:bold;color:{FAIL if error else '#12355b'}")
        self.notice_timer.start(int(seconds * 1000))

    # -- status bar --------------------------------------------------------------------------
    def _device_text(self, device, kind: str) -> str:
        if device is None:
            return self.lang.tr("ui.device_missing", kind=kind)
        state = "ui.device_emulated" if device.info.emulated else "ui.device_connected"
        return self.lang.tr(state, kind=kind)

    def refresh_status(self) -> None:
        self._status_age = 0
        self.office_label.setText(self.office)
        self.office_label.setVisible(bool(self.office))
        self.officer_label.setText(self.lang.tr("console.officer_role", name=self.officer.name,
                                                role=self.lang.tr(f"console.role_{self.officer.role}"))
                                   if self.officer else "")
        self.devices_label.setText(f"{self._device_text(self.camera, 'camera')} · "
                                   f"{self._device_text(self.scanner, 'scanner')}")
        run_job(self.station.outbox.counts,
                on_done=lambda counts: self.outbox_label.setText(self.lang.tr("outbox.counts", **counts)))

        def reachable(ok: bool) -> None:
            self.central_label.setText(self.lang.tr("ui.central_ok" if ok else "ui.central_down"))

        run_job(self.station.link().health, on_done=reachable, on_error=lambda _e: reachable(False))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        # records awaiting approval are kept sealed in the station (``station.parked``): closing loses none
        self.pages["face"].stop_camera()
        self.pages["queue"].stop_qr()
        self.pages["fingers"].leave()
        self.timer.stop()
        if not finish_jobs():
            log.warning("a job was still running when the console closed")
        super().closeEvent(event)
