"""The officer console: login, today's queue, face capture, fingerprints, review and submit.

The window only shows and forwards: the order of the steps is ``EnrollmentFlow``'s, the
captures are ``FaceCapture`` and ``FingerSequence``, delivery is ``Station``'s. Devices run
on threads, matching in worker processes, so the GUI thread never waits on either.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
)

from domain.catalog import render_error
from enrollment.face_capture import FaceCapture, FaceState
from enrollment.finger_capture import FingerOutcome
from enrollment.policy import Policy
from station.checkin import QrReader
from station.enrollment import Enrollment

from .audit_view import AuditPage
from .i18n import Language
from .jobs import run_job, when_ready
from .page import Page
from .widgets import (
    CameraThread,
    CheckList,
    HandDiagram,
    InputClock,
    LanguageButton,
    VideoView,
    big_font,
    face_overlay,
    to_qimage,
)

log = logging.getLogger("biostation.gui")


class LoginPage(Page):
    name = "login"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.title = QLabel()
        self.title.setFont(big_font(22))
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.button = QPushButton()
        self.message = QLabel()
        self.message.setStyleSheet("color:#b3261e")
        self.form = QFormLayout()
        self.user_label, self.password_label = QLabel(), QLabel()
        self.form.addRow(self.user_label, self.user)
        self.form.addRow(self.password_label, self.password)
        box = QVBoxLayout(self)
        box.addStretch()
        box.addWidget(self.title, alignment=Qt.AlignmentFlag.AlignCenter)
        box.addLayout(self.form)
        box.addWidget(self.button)
        box.addWidget(self.message)
        box.addStretch()
        self.button.clicked.connect(self.login)
        self.password.returnPressed.connect(self.login)
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.tr("ui.console_title"))
        self.user_label.setText(self.tr("ui.name"))
        self.password_label.setText(self.tr("ui.password"))
        self.button.setText(self.tr("ui.login"))

    def entered(self) -> None:
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

        run_job(self.console.station.officers.authenticate, name, password, on_done=done, on_error=failed)


class QueuePage(Page):
    name = "queue"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.heading = QLabel()
        self.heading.setFont(big_font(18))
        self.listing = QListWidget()
        self.number = QLineEdit()
        self.open_button = QPushButton()
        self.refresh_button = QPushButton()
        self.qr_button = QPushButton()
        self.qr: CameraThread | None = None
        self.audit_button = QPushButton()
        self.consent = QCheckBox()
        self.consent_text = QLabel()
        self.consent_text.setWordWrap(True)
        self.guardian = QLineEdit()
        self.message = QLabel()
        self.message.setStyleSheet("color:#b3261e")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.number)
        row.addWidget(self.qr_button)
        row.addWidget(self.open_button)
        box = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch()
        top.addWidget(self.audit_button)
        top.addWidget(self.refresh_button)
        box.addLayout(top)
        box.addWidget(self.listing)
        box.addLayout(row)
        box.addWidget(self.consent_text)
        box.addWidget(self.consent)
        box.addWidget(self.guardian)
        box.addWidget(self.message)
        self.listing.itemClicked.connect(lambda item: self.number.setText(item.data(Qt.ItemDataRole.UserRole)))
        self.open_button.clicked.connect(self.open_application)
        self.qr_button.clicked.connect(self.scan_qr)
        self.refresh_button.clicked.connect(self.entered)
        self.audit_button.clicked.connect(lambda: self.console.show_page("audit"))
        self.retranslate()

    def retranslate(self) -> None:
        self.heading.setText(self.tr("ui.queue_today"))
        self.number.setPlaceholderText(self.tr("ui.application_number"))
        self.open_button.setText(self.tr("ui.start_enrollment"))
        self.refresh_button.setText(self.tr("ui.refresh"))
        self.qr_button.setText(self.tr("ui.scan_qr"))
        self.audit_button.setText(self.tr("ui.audit_log"))
        self.consent.setText(self.tr("ui.consent_obtained"))
        self.consent_text.setText(self.tr("consent.text"))
        self.guardian.setPlaceholderText(self.tr("ui.guardian"))

    def entered(self) -> None:
        self.consent.setChecked(False)
        self.guardian.clear()
        officer = self.console.officer
        self.audit_button.setVisible(bool(officer and officer.may("audit")))

        def show(result) -> None:
            listing, fresh = result
            self.listing.clear()
            for a in listing:
                item = QListWidgetItem(f"{a['appointment_at'][11:16]}  {a['number']}  {a['given_name']} {a['surname']}"
                                       f"  ({a['service']})")
                item.setData(Qt.ItemDataRole.UserRole, a["number"])
                self.listing.addItem(item)
            self.message.setText("" if fresh else self.tr("ui.offline_queue"))

        run_job(self.console.desk.appointments, on_done=show, on_error=self.console.show_error)

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
        self.number.setText(number)
        self.message.clear()

    def stop_qr(self) -> None:
        if self.qr is not None:
            self.qr.stop()
            self.qr = None

    def open_application(self) -> None:
        self.stop_qr()
        number = self.number.text().strip()
        if not number:
            return
        console = self.console
        enrollment = Enrollment(console.station, console.officer, console.policy, console.desk, console.camera,
                                console.scanner, console.profile, console.workers)

        def opened(_application) -> None:
            console.enrollment = enrollment
            console.show_page("face")

        run_job(enrollment.open, number, self.consent.isChecked(), self.guardian.text().strip() or None,
                on_done=opened, on_error=lambda exc: self.message.setText(render_error(exc, self.lang.code)))


class FacePage(Page):
    name = "face"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.video = VideoView()
        self.checks = CheckList(self.lang)
        self.instruction = QLabel()
        self.instruction.setFont(big_font(24))
        self.instruction.setWordWrap(True)
        self.crop = QLabel()
        self.crop.setFixedSize(210, 270)
        self.crop.setScaledContents(True)
        self.capture_button = QPushButton()
        self.keep_button = QPushButton()
        self.next_button = QPushButton()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.hide()
        side = QVBoxLayout()
        side.addWidget(self.checks)
        side.addWidget(self.crop)
        side.addWidget(self.capture_button)
        side.addWidget(self.keep_button)
        side.addWidget(self.next_button)
        side.addWidget(self.busy)
        row = QHBoxLayout()
        row.addWidget(self.video, 3)
        row.addLayout(side, 1)
        box = QVBoxLayout(self)
        box.addWidget(self.instruction)
        box.addLayout(row)
        self.capture_button.clicked.connect(self.manual_capture)
        self.keep_button.clicked.connect(self.finish)
        self.next_button.clicked.connect(lambda: self.console.show_page("fingers"))
        self.thread: CameraThread | None = None
        self.capture: FaceCapture | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.capture_button.setText(self.tr("ui.capture_now"))
        self.keep_button.setText(self.tr("ui.keep_best"))
        self.next_button.setText(self.tr("ui.next"))

    def entered(self) -> None:
        console = self.console
        self.keep_button.hide()
        self.next_button.hide()
        self.crop.clear()
        if console.camera is None:
            self.instruction.setText(self.tr("ui.camera_missing"))
            return
        self.capture = console.enrollment.face_capture()
        self.thread = CameraThread(console.camera, self.capture.observe_frame, face_overlay)
        self.thread.frame.connect(self.show_frame)
        self.thread.failed.connect(console.show_error)
        self.thread.start()

    def show_frame(self, image: QImage, guidance) -> None:
        self.video.show_image(image)
        if guidance is None:
            return
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
        if self.capture is not None:
            self.capture.capture_now()
            if self.capture.state is FaceState.CAPTURED:
                self.finish()
            else:
                self.keep_button.show()

    def stop_camera(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None

    def finish(self) -> None:
        """Stop the camera; the descriptor is computed in a worker process, the crop here."""
        if self.capture is None or self.capture.chosen is None or self.busy.isVisible():
            return
        self.stop_camera()
        enrollment = self.console.enrollment
        self.busy.show()

        def encoded(encoding) -> None:
            run_job(enrollment.keep_face, self.capture, encoding.descriptor, on_done=kept,
                    on_error=self.console.show_error)

        def kept(result) -> None:
            self.busy.hide()
            import cv2

            crop = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_COLOR)
            self.crop.setPixmap(QPixmap.fromImage(to_qimage(crop)))
            self.instruction.setText(self.tr("ui.face_done"))
            self.next_button.show()
            self.keep_button.hide()

        when_ready(enrollment.describe_face(self.capture), encoded, self.console.show_error)


class FingerPage(Page):
    name = "fingers"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.hand = HandDiagram()
        self.state = QLabel()
        self.state.setFont(big_font(20))
        self.state.setWordWrap(True)
        self.progress = QProgressBar()
        self.image = QLabel()
        self.image.setFixedSize(256, 288)
        self.image.setScaledContents(True)
        self.quality = QProgressBar()
        self.quality.setRange(0, 100)
        self.reason = QComboBox()
        self.exception_button = QPushButton()
        self.keep_button = QPushButton()
        self.next_button = QPushButton()
        side = QVBoxLayout()
        side.addWidget(self.hand)
        side.addWidget(self.state)
        side.addWidget(self.progress)
        side.addWidget(self.quality)
        side.addWidget(self.reason)
        side.addWidget(self.exception_button)
        side.addWidget(self.keep_button)
        side.addWidget(self.next_button)
        side.addStretch()
        row = QHBoxLayout(self)
        row.addLayout(side, 2)
        row.addWidget(self.image, 1)
        self.exception_button.clicked.connect(self.mark_exception)
        self.keep_button.clicked.connect(self.keep_best)
        self.next_button.clicked.connect(self.to_review)
        self.retranslate()

    def retranslate(self) -> None:
        self.exception_button.setText(self.tr("ui.mark_exception"))
        self.keep_button.setText(self.tr("ui.keep_best_print"))
        self.next_button.setText(self.tr("ui.review"))
        self.reason.clear()
        for reason in ("missing", "injured"):
            self.reason.addItem(self.tr(f"name.reason.{reason}"), reason)
        self.quality.setFormat(self.tr("ui.quality_format", minimum=self.console.policy.finger_min_nfiq2))

    @property
    def fingers(self):
        return self.console.enrollment.fingers

    def refresh_hand(self) -> None:
        states = {p: "todo" for p in self.fingers.positions}
        states.update({r.position: "done" for r in self.fingers.results})
        states.update({e.position: "exempt" for e in self.fingers.exceptions})
        self.hand.set_state(states, self.fingers.current)

    def entered(self) -> None:
        self.keep_button.hide()
        self.next_button.hide()
        self.refresh_hand()
        self.next_capture()

    def next_capture(self) -> None:
        self.refresh_hand()
        position = self.fingers.current
        if position is None:
            self.state.setText(self.tr("ui.fingers_done"))
            self.next_button.show()
            return
        if self.console.scanner is None:
            self.state.setText(self.tr("ui.scanner_missing"))
            return
        self.state.setText(self.tr("sensor.place_finger", finger=position))
        self.progress.setValue(0)
        run_job(self.console.enrollment.capture_finger, on_done=self.captured, on_error=self.capture_failed,
                on_progress=lambda f: self.progress.setValue(int(f * 100)))

    def capture_failed(self, exc) -> None:
        self.state.setText(render_error(exc, self.lang.code))
        QTimer.singleShot(1500, self.next_capture)

    def captured(self, image) -> None:
        self.image.setPixmap(QPixmap.fromImage(to_qimage(image.pixels)))
        enrollment = self.console.enrollment
        run_job(enrollment.wait_for_lift)

        def extracted(details) -> None:
            run_job(enrollment.judge, image, details, on_done=judged, on_error=self.console.show_error)

        def judged(step) -> None:
            self.quality.setValue(step.quality)
            self.state.setText(self.tr(step.message_id, **step.params))
            if step.outcome is FingerOutcome.EXHAUSTED:
                self.keep_button.show()
                return
            QTimer.singleShot(800, self.next_capture)

        when_ready(enrollment.extract(image), extracted, self.console.show_error)

    def mark_exception(self) -> None:
        if self.fingers.current is not None:
            self.fingers.skip(self.reason.currentData())
            self.next_capture()

    def keep_best(self) -> None:
        self.keep_button.hide()
        self.fingers.keep_best()
        self.next_capture()

    def to_review(self) -> None:
        run_job(self.console.enrollment.fingers_done, on_done=lambda _r: self.console.show_page("review"),
                on_error=self.console.show_error)


class ReviewPage(Page):
    name = "review"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.summary = QTextEdit()
        self.summary.setReadOnly(True)
        self.supervisor = QLineEdit()
        self.supervisor_password = QLineEdit()
        self.supervisor_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.approve_button = QPushButton()
        self.submit_button = QPushButton()
        self.new_button = QPushButton()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setFont(big_font(14, False))
        box = QVBoxLayout(self)
        box.addWidget(self.summary)
        approval = QHBoxLayout()
        approval.addWidget(self.supervisor)
        approval.addWidget(self.supervisor_password)
        approval.addWidget(self.approve_button)
        box.addLayout(approval)
        box.addWidget(self.submit_button)
        box.addWidget(self.message)
        box.addWidget(self.new_button)
        self.approve_button.clicked.connect(self.approve)
        self.submit_button.clicked.connect(self.submit)
        self.new_button.clicked.connect(lambda: self.console.show_page("queue"))
        self.retranslate()

    def retranslate(self) -> None:
        self.supervisor.setPlaceholderText(self.tr("ui.supervisor"))
        self.supervisor_password.setPlaceholderText(self.tr("ui.password"))
        self.approve_button.setText(self.tr("ui.approve"))
        self.submit_button.setText(self.tr("ui.submit"))
        self.new_button.setText(self.tr("ui.next_applicant"))

    def entered(self) -> None:
        enrollment = self.console.enrollment
        record = enrollment.record
        lines = [self.tr("ui.review_application", number=record.application["number"],
                         name=f"{record.application['given_name']} {record.application['surname']}")]
        if record.face is not None:
            failing = [self.tr(f"icao.{c.name}") for c in record.face.checks if not c.passed]
            lines.append(self.tr("ui.review_face", state=self.tr("ui.all_passed") if not failing
                                 else ", ".join(failing)))
        for f in record.fingers:
            lines.append(self.tr("ui.review_finger", finger=f.position, quality=f.quality))
        for e in record.exceptions:
            lines.append(self.tr("ui.review_exception", finger=e.position, reason=e.reason))
        self.summary.setPlainText("\n".join(lines))
        needs = enrollment.needs_approval
        for w in (self.supervisor, self.supervisor_password, self.approve_button):
            w.setVisible(needs)
        self.submit_button.setEnabled(not needs)
        self.submit_button.show()
        self.new_button.hide()
        self.message.setText(self.tr("ui.needs_approval") if needs else "")

    def approve(self) -> None:
        run_job(self.console.enrollment.approve, self.supervisor.text().strip(), self.supervisor_password.text(),
                on_done=lambda _r: self.entered(),
                on_error=lambda exc: self.message.setText(render_error(exc, self.lang.code)))

    def submit(self) -> None:
        enrollment = self.console.enrollment
        self.submit_button.setEnabled(False)

        def sealed(packet_id) -> None:
            self.message.setText(self.tr("enroll.in_outbox", packet=packet_id))
            self.console.last_packet = packet_id
            self.submit_button.hide()
            self.new_button.show()
            run_job(enrollment.deliver, on_done=lambda _r: self.console.refresh_status(),
                    on_error=lambda _e: self.console.refresh_status())

        run_job(enrollment.submit, on_done=sealed, on_error=self.console.show_error)


class Console(QMainWindow):
    def __init__(self, station, lang: Language, camera, scanner, workers, policy: Policy | None = None,
                 profile=None, idle_lock_s: float = 300.0) -> None:
        super().__init__()
        self.station, self.lang, self.camera, self.scanner, self.workers = station, lang, camera, scanner, workers
        self.policy = policy or Policy()
        self.profile = profile
        self.desk = station.applications()
        self.officer = None
        self.enrollment: Enrollment | None = None
        self.last_packet: str | None = None
        self.idle_lock_s = idle_lock_s
        self.last_input = time.monotonic()
        self.stack = QStackedWidget()
        self.pages = {p.name: p for p in (LoginPage(self), QueuePage(self), FacePage(self), FingerPage(self),
                                          ReviewPage(self), AuditPage(self))}
        for page in self.pages.values():
            self.stack.addWidget(page)
        self.language = LanguageButton(lang)
        self.language.changed.connect(lambda _c: self.retranslate())
        self.devices_label, self.central_label, self.outbox_label = QLabel(), QLabel(), QLabel()
        bar = self.statusBar()
        for w in (self.devices_label, self.central_label, self.outbox_label):
            bar.addWidget(w)
        bar.addPermanentWidget(self.language)
        self.setCentralWidget(self.stack)
        self.resize(1200, 800)
        self._idle = InputClock(self, (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(1000)
        self._status_age = 0
        self.retranslate()
        self.refresh_status()
        self.show_page("login")

    @property
    def flow(self):
        """The enrollment's flow (its step and record), for views and tests that read it."""
        return self.enrollment.flow if self.enrollment is not None else None

    # -- navigation --------------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        current = self.stack.currentWidget()
        if isinstance(current, FacePage) and name != "face":
            current.stop_camera()
        if isinstance(current, QueuePage) and name != "queue":
            current.stop_qr()
        page = self.pages[name]
        self.stack.setCurrentWidget(page)
        page.entered()

    @property
    def page(self) -> str:
        return self.stack.currentWidget().name

    def logged_in(self, officer) -> None:
        self.officer = officer
        self.last_input = time.monotonic()
        self.show_page("queue")

    def lock(self) -> None:
        run_job(self.station.audit.record, self.officer.name if self.officer else "-", "console.locked")
        self.officer = None
        self.show_page("login")

    def tick(self) -> None:
        if self.officer is not None and time.monotonic() - self.last_input > self.idle_lock_s and self.page in (
                "queue", "audit"):
            self.lock()
        self._status_age += 1
        if self._status_age >= 10:
            self.refresh_status()

    def retranslate(self) -> None:
        self.setWindowTitle(self.lang.tr("ui.console_title"))
        for page in self.pages.values():
            page.retranslate()
        self.refresh_status()

    def show_error(self, exc) -> None:
        self.statusBar().showMessage(render_error(exc, self.lang.code), 8000)

    # -- status bar --------------------------------------------------------------------------
    def _device_text(self, device, kind: str) -> str:
        if device is None:
            return self.lang.tr("ui.device_missing", kind=kind)
        state = "ui.device_emulated" if device.info.emulated else "ui.device_connected"
        return self.lang.tr(state, kind=kind)

    def refresh_status(self) -> None:
        self._status_age = 0
        self.devices_label.setText(f"{self._device_text(self.camera, 'camera')} · "
                                   f"{self._device_text(self.scanner, 'scanner')}")
        run_job(self.station.outbox.counts,
                on_done=lambda counts: self.outbox_label.setText(self.lang.tr("outbox.counts", **counts)))

        def reachable(ok: bool) -> None:
            self.central_label.setText(self.lang.tr("ui.central_ok" if ok else "ui.central_down"))

        run_job(self.station.link().health, on_done=reachable, on_error=lambda _e: reachable(False))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.pages["face"].stop_camera()
        self.pages["queue"].stop_qr()
        self.timer.stop()
        super().closeEvent(event)
