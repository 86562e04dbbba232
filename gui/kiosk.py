"""The self-service kiosk: check in by QR code or number, verify by face and finger, give feedback.

Touch-first: large targets and text, high contrast, Bahasa Indonesia by default with
English one tap away on every screen. It shows nothing about anyone but the person in
front of it (not even their name before they are verified), returns to the start after
inactivity, and sends anyone it cannot verify to an officer.

Each finger capture is rated by NFIQ 2 on a job thread against the policy's
``finger_min_nfiq2`` before it is compared (``Verification.rate_finger``); a refused capture
shows NFIQ 2's feedback as the instruction for the next placement, in the words enrollment uses.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from domain.catalog import render_error
from enrollment.policy import Policy
from enrollment.verification import Verification, VerifyStep, detected_landmarks
from matching.face.detection import as_rgb
from station.checkin import QrReader
from station.verification import IdentityCheck

from .i18n import Language
from .jobs import run_job, when_ready
from .widgets import CameraThread, InputClock, LanguageButton, VideoView, big_font, face_overlay

STYLE = """
QWidget { background: #101418; color: #ffffff; }
QPushButton { background: #ffd400; color: #000000; font-size: 26pt; font-weight: bold; min-height: 90px;
              border-radius: 14px; padding: 8px 24px; }
QPushButton:disabled { background: #555; color: #999; }
QLineEdit { background: #ffffff; color: #000000; font-size: 30pt; min-height: 80px; padding: 4px 12px; }
QProgressBar { min-height: 30px; font-size: 16pt; }
"""


class Screen(QWidget):
    name = "screen"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.lang = kiosk.lang
        self.language = LanguageButton(self.lang)
        self.language.changed.connect(lambda _c: kiosk.retranslate())
        self.layout_ = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addStretch()
        top.addWidget(self.language)
        self.layout_.addLayout(top)

    def tr(self, message_id: str, **params: object) -> str:
        return self.lang.tr(message_id, **params)

    def retranslate(self) -> None:
        self.language.refresh()

    def entered(self) -> None:
        pass

    def left(self) -> None:
        pass


def _label(size: int) -> QLabel:
    label = QLabel()
    label.setFont(big_font(size))
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return label


class HomeScreen(Screen):
    name = "home"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__(kiosk)
        self.title = _label(34)
        self.hint = _label(20)
        self.number = QLineEdit()
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.go = QPushButton()
        self.message = _label(18)
        self.message.setStyleSheet("color:#ff8a80")
        keypad = QGridLayout()
        for i, key in enumerate("123456789P0⌫"):
            button = QPushButton(key)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            keypad.addWidget(button, i // 3, i % 3)
        for w in (self.title, self.hint, self.number):
            self.layout_.addWidget(w)
        self.layout_.addLayout(keypad)
        self.layout_.addWidget(self.go)
        self.layout_.addWidget(self.message)
        self.go.clicked.connect(self.check_in)
        self.number.returnPressed.connect(self.check_in)
        self.qr: CameraThread | None = None
        self.retranslate()

    def press(self, key: str) -> None:
        self.number.setText(self.number.text()[:-1] if key == "⌫" else self.number.text() + key)

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(self.tr("ui.kiosk_welcome"))
        self.hint.setText(self.tr("ui.kiosk_scan_or_type"))
        self.go.setText(self.tr("ui.kiosk_continue"))

    def entered(self) -> None:
        self.number.clear()
        self.message.clear()
        self.go.setEnabled(True)
        if self.kiosk.camera is not None:  # QR codes from the online registration, read by the camera
            self.qr = CameraThread(self.kiosk.camera, QrReader())
            self.qr.frame.connect(lambda _img, number: number and self.scanned(number))
            self.qr.start()

    def left(self) -> None:
        if self.qr is not None:
            self.qr.stop()
            self.qr = None

    def scanned(self, number: str) -> None:
        if self.go.isEnabled():
            self.number.setText(number)
            self.check_in()

    def check_in(self) -> None:
        number = self.number.text().strip()
        if not number:
            return
        self.go.setEnabled(False)

        def found(enrolled) -> None:
            self.kiosk.start_verification(number, enrolled)

        def failed(_exc) -> None:
            # the same words whether the number is unknown or not enrolled: nothing about anyone leaks
            self.go.setEnabled(True)
            self.message.setText(self.tr("ui.kiosk_not_found"))

        run_job(self.kiosk.templates, number, on_done=found, on_error=failed)


class VerifyScreen(Screen):
    name = "verify"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__(kiosk)
        self.instruction = _label(30)
        self.video = VideoView(640, 480)
        self.progress = QProgressBar()
        self.progress.hide()
        self.layout_.addWidget(self.instruction)
        self.layout_.addWidget(self.video, 1)
        self.layout_.addWidget(self.progress)
        self.check: Verification | None = None
        self.thread: CameraThread | None = None

    def entered(self) -> None:
        kiosk = self.kiosk
        self.progress.hide()
        self.check = kiosk.verification
        self.instruction.setText(self.tr("ui.kiosk_look"))
        if kiosk.camera is not None:
            self.thread = CameraThread(kiosk.camera, lambda bgr, t: self.check.observe(as_rgb(bgr), t),
                                       face_overlay)
            self.thread.frame.connect(self.on_frame)
            self.thread.failed.connect(lambda exc: self.kiosk.show_error(exc))
            self.thread.start()
        else:
            self.describe_then_finger()

    def left(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None

    def on_frame(self, image: QImage, guidance) -> None:
        self.video.show_image(image)
        if guidance is None or self.thread is None:
            return
        if guidance.instruction:
            self.instruction.setText(self.tr(guidance.instruction, finger=self.check.finger or ""))
        if guidance.step is VerifyStep.DONE:
            self.left()
            run_job(self.kiosk.identity.decided, self.check.result, on_done=self.kiosk.show_result,
                    on_error=self.failed)
        elif guidance.step is VerifyStep.FINGER:
            self.left()
            self.describe_then_finger()

    def describe_then_finger(self) -> None:
        described = self.kiosk.identity.describe_face()
        if described is None:
            self.capture_finger()
            return

        def found(encoding) -> None:
            self.check.face_found(encoding.descriptor)
            self.capture_finger()

        when_ready(described, found, self.kiosk.show_error)

    def capture_finger(self, instruction: str | None = None) -> None:
        """Wait for the enrolled finger; ``instruction``: what the last refused capture said to do."""
        identity = self.kiosk.identity
        check = self.check
        finger = check.finger
        if finger is None or self.kiosk.scanner is None:
            run_job(identity.finish, None, on_done=self.kiosk.show_result, on_error=self.failed)
            return
        self.instruction.setText(instruction or self.tr("sensor.place_finger", finger=finger))
        self.progress.setValue(0)
        self.progress.show()
        policy = identity.policy

        def captured(image) -> None:
            # NFIQ 2 takes about 100 ms: on a job thread, never on this one
            run_job(check.rate_finger, image, policy.finger_min_nfiq2, policy.finger_attempts,
                    on_done=rated, on_error=self.failed)

        def rated(rating) -> None:
            if self.check is not check:  # the kiosk has moved on (closed, or back home)
                return
            if rating.compare:
                self.compare_finger(rating.image)
            elif not rating.exhausted:  # NFIQ 2's feedback is the instruction for the next placement
                said = self.tr(rating.message_id, **rating.params)
                self.instruction.setText(said)

                def again(_lifted) -> None:
                    if self.check is check:
                        self.capture_finger(said)

                run_job(identity.wait_for_lift, on_done=again, on_error=self.failed)
            else:  # nothing NFIQ 2 could rate in any attempt: the face decides alone
                run_job(identity.wait_for_lift)
                run_job(identity.finish, None, on_done=self.kiosk.show_result, on_error=self.failed)

        run_job(identity.capture_finger, on_done=captured, on_error=self.failed,
                on_progress=lambda f: self.progress.setValue(int(f * 100)))

    def compare_finger(self, image) -> None:
        """The print passed NFIQ 2 (or is the best of the attempts): compare it with the enrolled one."""
        identity = self.kiosk.identity
        run_job(identity.wait_for_lift)
        scored = identity.score_finger(image)
        if scored is None:
            run_job(identity.finish_with, image, on_done=self.kiosk.show_result, on_error=self.failed)
        else:
            when_ready(scored, lambda score: run_job(identity.finish, score, on_done=self.kiosk.show_result,
                                                     on_error=self.failed), self.failed)

    def failed(self, exc) -> None:
        self.instruction.setText(render_error(exc, self.lang.code))
        QTimer.singleShot(4000, self.kiosk.go_home)


class ResultScreen(Screen):
    name = "result"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__(kiosk)
        self.verdict = _label(40)
        self.detail = _label(20)
        self.feedback = QPushButton()
        self.done = QPushButton()
        for w in (self.verdict, self.detail, self.feedback, self.done):
            self.layout_.addWidget(w)
        self.feedback.clicked.connect(lambda: self.kiosk.show_screen("feedback"))
        self.done.clicked.connect(self.kiosk.go_home)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.feedback.setText(self.tr("ui.kiosk_feedback"))
        self.done.setText(self.tr("ui.kiosk_done"))
        if self.kiosk.result is not None:
            self.show_result(self.kiosk.result)

    def show_result(self, result) -> None:
        matched = result.decision == "match"
        self.verdict.setText(self.tr(f"verify.{result.decision}"))
        self.verdict.setStyleSheet(f"color:{'#69f0ae' if matched else '#ff8a80'}")
        self.detail.setText(self.tr("ui.kiosk_next_step" if matched else "ui.kiosk_see_officer"))
        self.feedback.setVisible(matched)


class FeedbackScreen(Screen):
    name = "feedback"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__(kiosk)
        self.question = _label(28)
        self.comment = QLineEdit()
        self.thanks = _label(24)
        stars = QHBoxLayout()
        self.stars = []
        for n in range(1, 6):
            button = QPushButton("★" * n)
            button.clicked.connect(lambda _=False, k=n: self.send(k))
            stars.addWidget(button)
            self.stars.append(button)
        self.layout_.addWidget(self.question)
        self.layout_.addLayout(stars)
        self.layout_.addWidget(self.comment)
        self.layout_.addWidget(self.thanks)
        self.retranslate()

    def retranslate(self) -> None:
        super().retranslate()
        self.question.setText(self.tr("ui.kiosk_rate"))
        self.comment.setPlaceholderText(self.tr("ui.kiosk_comment"))

    def entered(self) -> None:
        self.thanks.clear()
        self.comment.clear()

    def send(self, stars: int) -> None:
        def sent(_r) -> None:
            self.thanks.setText(self.tr("ui.kiosk_thanks"))
            QTimer.singleShot(2500, self.kiosk.go_home)

        run_job(self.kiosk.send_feedback, stars, self.comment.text()[:2000], on_done=sent,
                on_error=lambda _e: sent(None))


class Kiosk(QMainWindow):
    """The kiosk's screens over one ``IdentityCheck``: liveness always as the office's policy says."""

    def __init__(self, station, lang: Language, camera, scanner, workers, policy: Policy | None = None,
                 liveness_seed: int | None = None, landmarks_of=detected_landmarks, idle_s: float = 60.0,
                 face_timeout_s: float | None = None) -> None:
        super().__init__()
        self.station, self.lang, self.camera, self.scanner, self.workers = station, lang, camera, scanner, workers
        self.identity = IdentityCheck(station, policy or Policy(), "kiosk", camera, scanner, workers, face_timeout_s)
        self.liveness_seed = liveness_seed
        self.landmarks_of = landmarks_of
        self.idle_s = idle_s
        self.number: str | None = None
        self.verification: Verification | None = None
        self.result = None
        self.last_input = time.monotonic()
        self.setStyleSheet(STYLE)
        self.stack = QStackedWidget()
        self.screens = {s.name: s for s in (HomeScreen(self), VerifyScreen(self), ResultScreen(self),
                                            FeedbackScreen(self))}
        for screen in self.screens.values():
            self.stack.addWidget(screen)
        self.setCentralWidget(self.stack)
        self.resize(1080, 1600)
        self._activity = InputClock(self, (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(1000)
        self.setWindowTitle(self.lang.tr("ui.kiosk_welcome"))
        self.show_screen("home")

    @property
    def screen(self) -> str:
        return self.stack.currentWidget().name

    def show_screen(self, name: str) -> None:
        current = self.stack.currentWidget()
        if current is not None and current.name != name:
            current.left()
        screen = self.screens[name]
        self.stack.setCurrentWidget(screen)
        screen.entered()
        self.last_input = time.monotonic()

    def retranslate(self) -> None:
        for screen in self.screens.values():
            screen.retranslate()

    def tick(self) -> None:
        if self.screen != "home" and self.screen != "verify" and time.monotonic() - self.last_input > self.idle_s:
            self.go_home()

    def go_home(self) -> None:
        self.number, self.verification, self.result = None, None, None
        self.show_screen("home")

    def templates(self, number: str) -> dict:
        return self.identity.enrolled(number)

    def start_verification(self, number: str, enrolled: dict) -> None:
        def begun(verification) -> None:
            self.number, self.verification = number, verification
            self.show_screen("verify")

        run_job(self.identity.begin, number, enrolled, self.liveness_seed, self.landmarks_of, on_done=begun,
                on_error=self.show_error)

    def show_result(self, result) -> None:
        self.result = result
        self.show_screen("result")
        self.screens["result"].show_result(result)

    def send_feedback(self, stars: int, comment: str) -> dict:
        return self.station.link().feedback(self.number, stars, comment)

    def show_error(self, exc) -> None:
        self.screens["verify"].failed(exc)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.stack.currentWidget().left()
        self.timer.stop()
        super().closeEvent(event)
