"""Widgets the three windows share: camera view, ICAO check grid, language switch (the hands are in ``hand``)."""

from __future__ import annotations

import time

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QThread, Signal
from PySide6.QtGui import QFont, QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

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


class CheckGrid(QWidget):
    """Every ICAO check on its own line, all visible at once: mark, name, measured value, limit.

    A grid of labels rather than a list: at 1366×768 the officer sees every check without a
    scroll bar, and the last frame's (or the kept photo's) results stay after capture.
    """

    def __init__(self, lang: Language) -> None:
        super().__init__()
        self.lang = lang
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(1)
        self.grid.setColumnStretch(1, 1)
        self.rows: list[tuple[QLabel, QLabel, QLabel]] = []
        self.checks: tuple = ()

    def count(self) -> int:
        return len(self.checks)

    def texts(self) -> list[str]:
        """What each line says, for tests and the screen reader."""
        return [" ".join(label.text() for label in row) for row in self.rows[: len(self.checks)]]

    def show_checks(self, checks) -> None:
        self.checks = tuple(checks)
        while len(self.rows) < len(self.checks):
            row = (QLabel(), QLabel(), QLabel())
            for column, label in enumerate(row):
                self.grid.addWidget(label, len(self.rows), column)
            row[0].setFixedWidth(18)
            row[2].setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.rows.append(row)
        for i, (mark, name, value) in enumerate(self.rows):
            shown = i < len(self.checks)
            for label in (mark, name, value):
                label.setVisible(shown)
            if not shown:
                continue
            c = self.checks[i]
            mark.setText("✔" if c.passed else "✘")
            name.setText(self.lang.tr(f"icao.{c.name}"))
            value.setText(f"{c.value:.2f} ({c.limit})")
            style = f"color:{PASS if c.passed else FAIL};font-size:10pt" + (";font-weight:bold" if not c.passed else "")
            if mark.styleSheet() != style:  # every camera frame comes here: Qt re-polishes on each setStyleSheet
                for label in (mark, name, value):
                    label.setStyleSheet(style)

    def retranslate(self) -> None:
        self.show_checks(self.checks)


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
