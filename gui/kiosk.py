"""The self-service kiosk: check in by QR code or number, verify by face and finger, give feedback.

Touch-first: large targets and text, high contrast, Bahasa Indonesia by default with
English one tap away on every screen. It shows nothing about anyone but the person in
front of it (not even their name before they are verified), returns to the start after
inactivity, and sends anyone it cannot verify to an officer.

Each finger capture is rated by NFIQ 2 on a job thread against the policy's
``finger_min_nfiq2`` before it is compared (``Verification.rate_finger``); a refused capture
shows NFIQ 2's feedback as the instruction for the next placement, in the words enrollment uses;
before that, a capture with too few minutiae to be a fingerprint at all (a palm's edge, a smudge,
an empty glass) is refused with its own instruction (``IdentityCheck.rate_finger``).

For everyone, including people who read badly or see badly and people who never used a kiosk:
- every prompt is spoken (``station.speech``: espeak-ng, in the screen's language, slowly), off
  this thread, a newer prompt cutting the older; without espeak-ng a note says so and the kiosk
  works the same, silently. A Repeat button on every screen says the prompt again;
- a text-size button on every screen makes all text and controls larger for as long as the
  kiosk runs, laid out so that nothing is clipped on a 1366×768 screen;
- each screen's controls take keyboard focus in reading order, every control carries an
  accessible name and description, and the prompt sits in one label whose changes are sent to
  a screen reader as they are spoken.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QImage
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
from station.speech import Speaker
from station.verification import IdentityCheck

from .i18n import Language
from .jobs import finish_jobs, run_job, when_ready
from .widgets import CameraThread, InputClock, LanguageButton, VideoView, big_font, face_overlay

LARGE_FONT = 1.35  # the text-size button's factor on every font
LARGE_CONTROL = 1.3  # and on the controls' heights (a little less: the screen is only 768 high)


def style(font: float = 1.0, control: float = 1.0) -> str:
    """The kiosk's style sheet at a text size; a thick light ring shows where keyboard focus is."""

    def pt(size: float) -> int:
        return round(size * font)

    def px(size: float) -> int:
        return round(size * control)

    return f"""
QWidget {{ background: #101418; color: #ffffff; }}
QPushButton {{ background: #ffd400; color: #000000; font-size: {pt(22)}pt; font-weight: bold;
              min-height: {px(64)}px; border-radius: 14px; padding: 4px 20px; border: 4px solid #ffd400; }}
QPushButton:focus {{ border: 4px solid #4fc3f7; }}
QPushButton:checked {{ background: #ffffff; border-color: #ffffff; }}
QPushButton:disabled {{ background: #555; color: #999; border-color: #555; }}
QLineEdit {{ background: #ffffff; color: #000000; font-size: {pt(26)}pt; min-height: {px(64)}px;
            padding: 4px 12px; border: 4px solid #ffffff; }}
QLineEdit:focus {{ border: 4px solid #4fc3f7; }}
QProgressBar {{ min-height: {px(26)}px; font-size: {pt(14)}pt; }}
"""


STYLE = style()


class PromptLabel(QLabel):
    """A label whose text is an instruction: a change is announced (spoken, and sent to a screen
    reader as a name change and an alert), the same text set again (each camera frame) is not."""

    changed = Signal(str)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        if text == self.text():
            return
        super().setText(text)
        self.changed.emit(text)

    def clear(self) -> None:
        self.setText("")

    def announce(self) -> None:
        """Tell assistive technology the instruction changed (a no-op when none is listening)."""
        if QAccessible.isActive():
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.NameChanged))
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))


class Screen(QWidget):
    """One kiosk screen: a top row (language, text size, repeat), then its own content.

    ``order()`` lists the screen's controls in reading order (the top row, then top to bottom and
    left to right); the kiosk makes that the tab order. ``spoken()`` is what to say now.
    """

    name = "screen"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.lang = kiosk.lang
        self.scaled: list[tuple[QLabel, int]] = []  # labels and their normal point sizes
        self.language = LanguageButton(self.lang)
        self.language.changed.connect(lambda _c: kiosk.retranslate())
        self.text_size = QPushButton()
        self.text_size.setCheckable(True)
        self.text_size.toggled.connect(kiosk.set_large_text)
        self.repeat = QPushButton()
        self.repeat.clicked.connect(kiosk.repeat_prompt)
        self.layout_ = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addStretch()
        for button in (self.language, self.text_size, self.repeat):
            top.addWidget(button)
        self.layout_.addLayout(top)

    def label(self, size: int, prompt: bool = False) -> QLabel:
        """A large, wrapped, centred label of ``size`` points (scaled with the text size)."""
        label = PromptLabel() if prompt else QLabel()
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        if prompt:
            label.changed.connect(lambda _t: self.kiosk.prompt_changed(self))
        self.scaled.append((label, size))
        label.setFont(big_font(size))
        return label

    def scale(self, factor: float) -> None:
        for label, size in self.scaled:
            label.setFont(big_font(round(size * factor)))

    def tr(self, message_id: str, **params: object) -> str:
        return self.lang.tr(message_id, **params)

    def order(self) -> list[QWidget]:
        return [self.language, self.text_size, self.repeat]

    def prompt(self) -> QLabel | None:
        """The label holding the current instruction (what a screen reader is pointed at)."""
        return None

    def spoken(self) -> str:
        """The instruction to say now, in the screen's language."""
        widget = self.prompt()
        return widget.text() if widget is not None else ""

    def retranslate(self) -> None:
        self.language.refresh()
        # "Language: English": what it is, and (its text) the language it switches to
        self.name_it(self.language, None, "kiosk_access.language_description")
        self.language.setAccessibleName(f"{self.tr('kiosk_access.language_name')}: {self.language.text()}")
        large = self.kiosk.large_text
        self.text_size.setText(self.tr("kiosk_access.normal_text" if large else "kiosk_access.larger_text"))
        self.name_it(self.text_size, "kiosk_access.text_size_name", "kiosk_access.text_size_description")
        self.repeat.setText(self.tr("kiosk_access.repeat"))
        self.name_it(self.repeat, "kiosk_access.repeat_name", "kiosk_access.repeat_description")
        # an instruction label's accessible name is its text (the words themselves); the description says what
        for label, _size in self.scaled:
            if isinstance(label, PromptLabel):
                self.name_it(label, None, "kiosk_access.prompt_description")

    def name_it(self, widget: QWidget, name_id: str | None, description_id: str | None = None,
                **params: object) -> None:
        """The accessible name and description a screen reader reads for ``widget``."""
        if name_id is not None:
            widget.setAccessibleName(self.tr(name_id, **params))
        if description_id is not None:
            widget.setAccessibleDescription(self.tr(description_id, **params))

    def entered(self) -> None:
        pass

    def left(self) -> None:
        pass

    def focus_first(self) -> None:
        """Keyboard focus on the screen's first control after the top row (or on Repeat)."""
        order = [w for w in self.order()[3:] if w.isVisible() and w.isEnabled()
                 and w.focusPolicy() != Qt.FocusPolicy.NoFocus]
        (order[0] if order else self.repeat).setFocus(Qt.FocusReason.OtherFocusReason)


class HomeScreen(Screen):
    name = "home"

    def __init__(self, kiosk: Kiosk) -> None:
        super().__init__(kiosk)
        self.title = self.label(34)
        self.hint = self.label(20, prompt=True)
        self.number = QLineEdit()
        self.number.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.go = QPushButton()
        self.message = self.label(18, prompt=True)
        self.message.setStyleSheet("color:#ff8a80")
        # the number, Continue and the message on the left, the keypad on the right: a 1366×768
        # screen has room across, not down, for the large text
        keypad = QGridLayout()
        self.keys: list[QPushButton] = []
        for i, key in enumerate("123456789P0⌫"):
            button = QPushButton(key)
            button.clicked.connect(lambda _=False, k=key: self.press(k))
            keypad.addWidget(button, i // 3, i % 3)
            self.keys.append(button)
        entry = QVBoxLayout()
        entry.addWidget(self.number)
        entry.addWidget(self.go)
        entry.addWidget(self.message)
        entry.addStretch()
        row = QHBoxLayout()
        row.addLayout(entry, 3)
        row.addLayout(keypad, 2)
        self.layout_.addWidget(self.title)
        self.layout_.addWidget(self.hint)
        self.layout_.addLayout(row, 1)
        self.go.clicked.connect(self.check_in)
        self.number.returnPressed.connect(self.check_in)
        self.qr: CameraThread | None = None
        self.retranslate()

    def press(self, key: str) -> None:
        self.number.setText(self.number.text()[:-1] if key == "⌫" else self.number.text() + key)

    def order(self) -> list[QWidget]:
        return [*super().order(), self.number, self.go, *self.keys]

    def prompt(self) -> QLabel:
        return self.message if self.message.text() else self.hint

    def spoken(self) -> str:
        if self.message.text():
            return self.message.text()
        return f"{self.title.text()}. {self.hint.text()}"

    def retranslate(self) -> None:
        super().retranslate()
        self.title.setText(self.tr("ui.kiosk_welcome"))
        self.hint.setText(self.tr("ui.kiosk_scan_or_type"))
        self.go.setText(self.tr("ui.kiosk_continue"))
        self.name_it(self.number, "kiosk_access.number_name", "kiosk_access.number_description")
        self.name_it(self.go, None, "kiosk_access.continue_description")
        self.go.setAccessibleName(self.go.text())
        for button in self.keys:
            key = button.text()
            if key == "⌫":
                self.name_it(button, "kiosk_access.key_delete")
            elif key.isdigit():
                self.name_it(button, "kiosk_access.key_digit", digit=key)
            else:
                self.name_it(button, "kiosk_access.key_letter", letter=key)
            button.setAccessibleDescription(self.tr("kiosk_access.key_description"))

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
        self.instruction = self.label(28, prompt=True)
        self.video = VideoView(240, 180)  # grows with the window; small enough for large text at 768 high
        self.progress = QProgressBar()
        self.progress.hide()
        self.layout_.addWidget(self.instruction)
        self.layout_.addWidget(self.video, 1)
        self.layout_.addWidget(self.progress)
        self.check: Verification | None = None
        self.thread: CameraThread | None = None
        self.retranslate()

    def prompt(self) -> QLabel:
        return self.instruction

    def retranslate(self) -> None:
        """The camera picture and the progress bar are not controls (no tab stops), but a screen reader
        still names them."""
        super().retranslate()
        self.name_it(self.video, "kiosk_access.video_name", "kiosk_access.video_description")
        self.name_it(self.progress, "kiosk_access.progress_name", "kiosk_access.progress_description")

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

        def captured(image) -> None:
            # not-a-print (minutiae, in a worker process) then NFIQ 2 (about 100 ms): on a job thread
            run_job(identity.rate_finger, image, on_done=rated, on_error=self.failed)

        def rated(rating) -> None:
            if self.check is not check:  # the kiosk has moved on (closed, or back home)
                return
            if rating.compare:
                self.compare_finger(rating.image)
            elif not rating.exhausted:  # not a print, or NFIQ 2's feedback: the instruction for the next placement
                said = self.tr(rating.message_id, **rating.params)
                self.instruction.setText(said)

                def again(_lifted) -> None:
                    if self.check is check:
                        self.capture_finger(said)

                run_job(identity.wait_for_lift, on_done=again, on_error=self.failed)
            else:  # no print NFIQ 2 could rate in any attempt: the face decides alone
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
        self.verdict = self.label(40, prompt=True)
        self.detail = self.label(20, prompt=True)
        self.feedback = QPushButton()
        self.done = QPushButton()
        for w in (self.verdict, self.detail, self.feedback, self.done):
            self.layout_.addWidget(w)
        self.feedback.clicked.connect(lambda: self.kiosk.show_screen("feedback"))
        self.done.clicked.connect(self.kiosk.go_home)
        self.retranslate()

    def order(self) -> list[QWidget]:
        return [*super().order(), self.feedback, self.done]

    def prompt(self) -> QLabel:
        return self.verdict

    def spoken(self) -> str:
        return " ".join(t for t in (self.verdict.text(), self.detail.text()) if t)

    def retranslate(self) -> None:
        super().retranslate()
        self.feedback.setText(self.tr("ui.kiosk_feedback"))
        self.done.setText(self.tr("ui.kiosk_done"))
        self.name_it(self.feedback, None, "kiosk_access.feedback_description")
        self.feedback.setAccessibleName(self.feedback.text())
        self.name_it(self.done, None, "kiosk_access.done_description")
        self.done.setAccessibleName(self.done.text())
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
        self.question = self.label(28, prompt=True)
        self.comment = QLineEdit()
        self.thanks = self.label(24, prompt=True)
        stars = QHBoxLayout()
        self.stars = []
        for n in range(1, 6):
            button = QPushButton("★" * n)
            button.clicked.connect(lambda _=False, k=n: self.send(k))
            stars.addWidget(button)
            self.stars.append(button)
        # the comment comes before the stars: choosing a star sends the rating, and the comment with it
        self.layout_.addWidget(self.question)
        self.layout_.addWidget(self.comment)
        self.layout_.addLayout(stars)
        self.layout_.addWidget(self.thanks)
        self.layout_.addStretch()
        self.retranslate()

    def order(self) -> list[QWidget]:
        return [*super().order(), self.comment, *self.stars]

    def prompt(self) -> QLabel:
        return self.thanks if self.thanks.text() else self.question

    def retranslate(self) -> None:
        super().retranslate()
        self.question.setText(self.tr("ui.kiosk_rate"))
        self.comment.setPlaceholderText(self.tr("ui.kiosk_comment"))
        self.name_it(self.comment, "kiosk_access.comment_name", "kiosk_access.comment_description")
        for n, button in enumerate(self.stars, 1):
            self.name_it(button, "kiosk_access.stars_name", "kiosk_access.stars_description", stars=n)

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
    """The kiosk's screens over one ``IdentityCheck``: liveness always as the office's policy says.

    ``speaker``: how prompts are spoken (by default ``station.speech``'s configuration from the
    environment); the kiosk owns it and closes it with the window.
    """

    def __init__(self, station, lang: Language, camera, scanner, workers, policy: Policy | None = None,
                 liveness_seed: int | None = None, landmarks_of=detected_landmarks, idle_s: float = 60.0,
                 face_timeout_s: float | None = None, speaker: Speaker | None = None) -> None:
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
        self.speaker = speaker if speaker is not None else Speaker()
        self.large_text = False  # the text-size button's state: kept until the kiosk closes
        self.current_prompt = ""  # what was last said (the Repeat button says it again)
        self._announce_queued = False
        self.stack: QStackedWidget | None = None
        self.setStyleSheet(STYLE)
        stack = QStackedWidget()
        self.screens = {s.name: s for s in (HomeScreen(self), VerifyScreen(self), ResultScreen(self),
                                            FeedbackScreen(self))}
        for screen in self.screens.values():
            stack.addWidget(screen)
            order = screen.order()
            for before, after in zip(order, order[1:], strict=False):
                QWidget.setTabOrder(before, after)
        # said once, under every screen, when the kiosk cannot speak: everything is on the screen anyway
        self.speech_note = QLabel()
        self.speech_note.setWordWrap(True)
        self.speech_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.speech_note.setStyleSheet("color:#ffe082")
        self.speech_note.setFont(big_font(14, bold=False))
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(stack, 1)
        column.addWidget(self.speech_note)
        self.stack = stack
        self.setCentralWidget(central)
        self.resize(1080, 1600)
        self._activity = InputClock(self, (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.TouchBegin))
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self.timer.start(1000)
        self.setWindowTitle(self.lang.tr("ui.kiosk_welcome"))
        self.update_speech_note()
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
        self.current_prompt = ""  # a new screen says its prompt even when the words are the same
        self.prompt_changed(screen)
        if self.isVisible():
            screen.focus_first()

    def retranslate(self) -> None:
        for screen in self.screens.values():
            screen.retranslate()
        self.update_speech_note()
        self.current_prompt = ""  # the same instruction in the other language is said again
        self.prompt_changed(self.stack.currentWidget())

    # -- speech, text size -----------------------------------------------------------------
    def prompt_changed(self, screen: Screen) -> None:
        """A prompt label changed: say the screen's instruction once this burst of changes is over
        (a result sets its verdict and then its detail; only the whole is worth saying)."""
        if self.stack is None or screen is not self.stack.currentWidget() or self._announce_queued:
            return
        self._announce_queued = True
        QTimer.singleShot(0, self.announce)

    def announce(self) -> None:
        """Speak the current screen's instruction (off this thread) and point a screen reader at it."""
        self._announce_queued = False
        screen = self.stack.currentWidget()
        text = screen.spoken()
        if not text or text == self.current_prompt:
            return
        self.current_prompt = text
        self.speaker.say(text, self.lang.code)
        prompt = screen.prompt()
        if isinstance(prompt, PromptLabel):
            prompt.announce()

    def repeat_prompt(self) -> None:
        """The Repeat button: the instruction on the screen, said again."""
        text = self.stack.currentWidget().spoken() or self.current_prompt
        if text:
            self.current_prompt = text
            self.speaker.say(text, self.lang.code)

    def set_large_text(self, large: bool) -> None:
        """The text-size button on any screen: every font and control larger (or back), everywhere."""
        self.large_text = bool(large)
        font, control = (LARGE_FONT, LARGE_CONTROL) if self.large_text else (1.0, 1.0)
        self.setStyleSheet(style(font, control))
        self.speech_note.setFont(big_font(round(14 * font), bold=False))
        for screen in self.screens.values():
            screen.text_size.blockSignals(True)
            screen.text_size.setChecked(self.large_text)
            screen.text_size.blockSignals(False)
            screen.scale(font)
            screen.retranslate()

    def update_speech_note(self) -> None:
        """Show why the kiosk is silent (no espeak-ng, or it could not play), or nothing."""
        if not self.speaker.available:
            text = self.lang.tr("kiosk_access.speech_missing")
        elif self.speaker.failed:
            text = self.lang.tr("kiosk_access.speech_failed")
        else:
            text = ""
        self.speech_note.setText(text)
        self.speech_note.setVisible(bool(text))

    # -- the visit ---------------------------------------------------------------------------
    def tick(self) -> None:
        self.update_speech_note()
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

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.stack.currentWidget().focus_first()

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.stack.currentWidget().left()
        self.timer.stop()
        self.speaker.close()
        finish_jobs()  # before the station behind the jobs is closed
        super().closeEvent(event)
