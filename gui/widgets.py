"""Widgets the three windows share: camera view, check list, hand diagram, language switch."""

from __future__ import annotations

import time

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, QRectF, Qt, QThread, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QSizePolicy, QWidget

from domain.fingers import FingerPosition

from .i18n import Language

PASS, FAIL, TODO, DONE, EXEMPT = "#17702e", "#b3261e", "#8a8a8a", "#17702e", "#c77c02"


def to_qimage(bgr: np.ndarray) -> QImage:
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr.ndim == 3 else cv2.cvtColor(bgr, cv2.COLOR_GRAY2RGB)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def big_font(size: int = 20, bold: bool = True) -> QFont:
    font = QFont()
    font.setPointSize(size)
    font.setBold(bold)
    return font


class CameraThread(QThread):
    """Reads a camera and runs ``process(bgr, t)`` on each frame, off the GUI thread."""

    frame = Signal(QImage, object)  # the picture (overlay drawn), what ``process`` returned
    failed = Signal(object)

    def __init__(self, camera, process=None, overlay=None) -> None:
        super().__init__()
        self.camera = camera
        self.process = process
        self.overlay = overlay
        self._stop = False

    def stop(self) -> None:
        self._stop = True
        self.wait(5000)

    def run(self) -> None:
        start = time.monotonic()
        while not self._stop:
            try:
                frame = self.camera.read(timeout=3.0)
            except Exception as exc:  # a missing or unplugged camera: the window says what to do
                self.failed.emit(exc)
                return
            result = self.process(frame.image, time.monotonic() - start) if self.process else None
            image = frame.image if self.overlay is None else self.overlay(frame.image.copy(), result)
            self.frame.emit(to_qimage(image), result)
            self.msleep(15)


class VideoView(QLabel):
    def __init__(self, min_w: int = 480, min_h: int = 360) -> None:
        super().__init__()
        self.setMinimumSize(min_w, min_h)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setStyleSheet("background:#222;color:#ddd")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def show_image(self, image: QImage) -> None:
        self.setPixmap(QPixmap.fromImage(image).scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                       Qt.TransformationMode.SmoothTransformation))


class CheckList(QListWidget):
    """Each ICAO check as a coloured line: name, measured value, limit."""

    def __init__(self, lang: Language) -> None:
        super().__init__()
        self.lang = lang
        self.setMinimumWidth(280)

    def show_checks(self, checks) -> None:
        self.clear()
        for c in checks:
            item = QListWidgetItem(f"{'✔' if c.passed else '✘'}  {self.lang.tr(c.label)}   "
                                   f"{c.value:.2f}  ({c.limit})")
            item.setForeground(QColor(PASS if c.passed else FAIL))
            self.addItem(item)


class HandDiagram(QWidget):
    """Ten fingers: which is next, which are done, which exempt."""

    LAYOUT = {  # position: (x, y) in a 10×4 grid, left hand on the left as the officer faces it
        FingerPosition.LEFT_LITTLE: (0.5, 1.6), FingerPosition.LEFT_RING: (1.5, 0.8),
        FingerPosition.LEFT_MIDDLE: (2.5, 0.5), FingerPosition.LEFT_INDEX: (3.5, 0.8),
        FingerPosition.LEFT_THUMB: (4.3, 2.4), FingerPosition.RIGHT_THUMB: (5.7, 2.4),
        FingerPosition.RIGHT_INDEX: (6.5, 0.8), FingerPosition.RIGHT_MIDDLE: (7.5, 0.5),
        FingerPosition.RIGHT_RING: (8.5, 0.8), FingerPosition.RIGHT_LITTLE: (9.5, 1.6),
    }

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(360, 160)
        self.states: dict[FingerPosition, str] = {}
        self.current: FingerPosition | None = None

    def set_state(self, states: dict[FingerPosition, str], current: FingerPosition | None) -> None:
        self.states, self.current = dict(states), current
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w, h = self.width() / 10, self.height() / 4.0
        for pos, (x, y) in self.LAYOUT.items():
            state = self.states.get(pos, "")
            colour = {"done": DONE, "exempt": EXEMPT, "todo": TODO}.get(state, "#dddddd")
            rect = QRectF(x * w - w * 0.35, y * h, w * 0.7, h * 1.4)
            p.setBrush(QColor(colour))
            p.setPen(QPen(QColor("#1f4fd1") if pos == self.current else QColor("#555"),
                          5 if pos == self.current else 1))
            p.drawRoundedRect(rect, w * 0.3, w * 0.3)
        p.end()


class LanguageButton(QPushButton):
    """One tap between Bahasa Indonesia and English, on every screen."""

    changed = Signal(str)

    def __init__(self, lang: Language) -> None:
        super().__init__()
        self.lang = lang
        self.clicked.connect(self._flip)
        self.refresh()

    def _flip(self) -> None:
        self.lang.set("en" if self.lang.code == "id" else "id")
        self.refresh()
        self.changed.emit(self.lang.code)

    def refresh(self) -> None:
        self.setText("English" if self.lang.code == "id" else "Bahasa Indonesia")


def face_overlay(bgr: np.ndarray, guidance) -> np.ndarray:
    """The face box and landmarks drawn over the preview."""
    if guidance is None or getattr(guidance, "box", None) is None:
        return bgr
    b = guidance.box
    ok = bool(guidance.checks) and all(c.passed for c in guidance.checks)
    colour = (46, 160, 67) if ok else (30, 38, 179)
    cv2.rectangle(bgr, (b.left, b.top), (b.right, b.bottom), colour, 2)
    if guidance.landmarks is not None:
        for x, y in guidance.landmarks.astype(int):
            cv2.circle(bgr, (int(x), int(y)), 2, (255, 200, 0), -1)
    return bgr


class InputClock(QObject):
    """Stamps ``owner.last_input`` on the application's input events.

    The console's idle lock and the kiosk's return to the start screen both count from
    the last input; which events count differs (the kiosk has a touch screen, the
    console a mouse that moves), so the caller names them.
    """

    def __init__(self, owner: object, events: tuple[QEvent.Type, ...]) -> None:
        from PySide6.QtWidgets import QApplication

        super().__init__()
        self.owner, self.events = owner, events
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() in self.events:
            self.owner.last_input = time.monotonic()
        return False
