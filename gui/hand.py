"""The fingers, as an officer sees them: a drawing of both hands and one tile per finger.

The drawing says which finger to place next and how each went, at a glance and in colour;
the tiles show each finger's image with its NFIQ 2 score against the policy's threshold and
its state (taken, exception and why, waiting), so a poor print or a wrong finger is seen
before the record is submitted. The review page shows the same tiles.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from domain.fingers import FingerPosition

from .i18n import Language
from .widgets import DONE, EXEMPT, FAIL, TODO, to_qimage

CURRENT = "#1f4fd1"
# the officer faces the applicant's hands palms down: left hand on the left, thumbs inwards
LEFT_ROW = (FingerPosition.LEFT_LITTLE, FingerPosition.LEFT_RING, FingerPosition.LEFT_MIDDLE,
            FingerPosition.LEFT_INDEX, FingerPosition.LEFT_THUMB)
RIGHT_ROW = (FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX, FingerPosition.RIGHT_MIDDLE,
             FingerPosition.RIGHT_RING, FingerPosition.RIGHT_LITTLE)
STATE_COLOUR = {"done": DONE, "exempt": EXEMPT, "todo": TODO, "poor": FAIL}


class HandDiagram(QWidget):
    """Two hands drawn palm down; each finger coloured by its state, the next one outlined in blue."""

    # little, ring, middle, index: (x of the centre as a share of the hand's width, length as a share of its height)
    SHAPE = ((0.13, 0.34), (0.33, 0.42), (0.53, 0.46), (0.72, 0.40))

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumSize(320, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.states: dict[FingerPosition, str] = {}
        self.current: FingerPosition | None = None

    def set_state(self, states: dict[FingerPosition, str], current: FingerPosition | None) -> None:
        self.states, self.current = dict(states), current
        self.update()

    def _finger_rects(self, hand: QRectF, mirrored: bool, row: tuple[FingerPosition, ...]):
        """(position, rect) for the five fingers of one hand drawn in ``hand``; the thumb on the inner side."""
        w, h = hand.width(), hand.height()

        def x_at(share: float) -> float:
            return hand.left() + w * (1 - share if mirrored else share)

        fw = w * 0.16
        fingers = row[1:][::-1] if mirrored else row[:4]
        thumb = row[0] if mirrored else row[4]
        for position, (share, length) in zip(fingers, self.SHAPE, strict=True):
            top = hand.top() + h * (0.56 - length)
            yield position, QRectF(x_at(share) - fw / 2, top, fw, hand.top() + h * 0.6 - top)
        yield thumb, QRectF(x_at(0.9) - fw / 2, hand.top() + h * 0.55, fw, h * 0.33)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.width(), self.height()
        hand_w = min(width * 0.45, height * 1.0)
        gap = width - 2 * hand_w
        font = QFont()
        font.setPointSize(9)
        font.setBold(True)
        p.setFont(font)
        for mirrored, row, left in ((False, LEFT_ROW, gap * 0.25), (True, RIGHT_ROW, width - gap * 0.25 - hand_w)):
            hand = QRectF(left, 4, hand_w, height - 8)
            palm_x = hand.left() + hand.width() * (0.18 if mirrored else 0.03)
            palm = QRectF(palm_x, hand.top() + hand.height() * 0.5, hand.width() * 0.79, hand.height() * 0.48)
            p.setPen(QPen(QColor("#9aa3b2"), 1))
            p.setBrush(QColor("#eef0f4"))
            p.drawRoundedRect(palm, palm.width() * 0.15, palm.width() * 0.15)
            for position, rect in self._finger_rects(hand, mirrored, row):
                state = self.states.get(position, "")
                p.setBrush(QColor(STATE_COLOUR.get(state, "#e4e6ea")))
                is_current = position == self.current
                p.setPen(QPen(QColor(CURRENT if is_current else "#555555"), 4 if is_current else 1))
                p.drawRoundedRect(rect, rect.width() * 0.45, rect.width() * 0.45)
                p.setPen(QColor("white" if state in ("done", "exempt", "poor") else "#333333"))
                mark = {"done": "✔", "exempt": "–", "poor": "!"}.get(state, str(int(position)))
                p.drawText(QRectF(rect.left(), rect.top() + 2, rect.width(), rect.width()),
                           Qt.AlignmentFlag.AlignCenter, mark)
        p.setPen(QPen(QColor("#9aa3b2"), 1))
        p.drawLine(QPointF(width / 2, 8), QPointF(width / 2, height - 8))
        p.end()


class FingerTile(QFrame):
    """One finger: its name, its image, NFIQ 2 against the threshold, and its state in words."""

    def __init__(self, lang: Language, position: FingerPosition, minimum: int, image_size: tuple[int, int] = (96, 108)):
        super().__init__()
        self.lang, self.position, self.minimum = lang, position, minimum
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight:bold;font-size:10pt")
        self.image = QLabel()
        self.image.setFixedSize(*image_size)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setStyleSheet("background:#f4f4f4;border:1px solid #ccc;color:#999")
        self.quality = QLabel()
        self.quality.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state = QLabel()
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.state.setWordWrap(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.setSpacing(2)
        box.addWidget(self.title)
        box.addWidget(self.image, alignment=Qt.AlignmentFlag.AlignCenter)
        box.addWidget(self.quality)
        box.addWidget(self.state)
        self.kind, self.score, self.reason, self.current = "todo", None, "", False
        self.retranslate()

    def show_result(self, kind: str, image: np.ndarray | None = None, score: int | None = None, reason: str = "",
                    current: bool = False) -> None:
        """``kind``: todo | done | exempt | poor (the last try fell short)."""
        self.kind, self.score, self.reason, self.current = kind, score, reason, current
        if image is not None:
            self.image.setPixmap(QPixmap.fromImage(to_qimage(image)).scaled(
                self.image.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        else:
            self.image.clear()
        self.retranslate()

    def retranslate(self) -> None:
        self.title.setText(self.lang.tr(f"name.finger.{self.position.slug}"))
        if self.score is None:
            self.quality.setText(self.lang.tr("console.nfiq_none", minimum=self.minimum))
            self.quality.setStyleSheet(f"color:{TODO}")
        else:
            ok = self.score >= self.minimum
            self.quality.setText(self.lang.tr("console.nfiq_score", score=self.score, minimum=self.minimum))
            self.quality.setStyleSheet(f"color:{DONE if ok else FAIL};font-weight:bold")
        words = {"todo": "console.finger_next" if self.current else "console.finger_waiting",
                 "done": "console.finger_taken", "poor": "console.finger_retry",
                 "exempt": "console.finger_exception"}[self.kind]
        reason = self.lang.tr(f"name.reason.{self.reason}") if self.reason else ""
        self.state.setText(self.lang.tr(words, reason=reason))
        colour = CURRENT if self.current else STATE_COLOUR[self.kind]
        self.state.setStyleSheet(f"color:{colour};font-size:10pt")
        self.setStyleSheet(f"FingerTile{{border:{3 if self.current else 1}px solid "
                           f"{CURRENT if self.current else '#c8ccd4'};border-radius:4px}}")


class FingerBoard(QWidget):
    """A tile for each finger the policy asks for, in the order they are taken (the drawing shows where)."""

    def __init__(self, lang: Language, positions: tuple[FingerPosition, ...], minimum: int,
                 few: tuple[int, int] = (160, 180), many: tuple[int, int] = (110, 124)) -> None:
        """``few``: the image size when one row holds every finger; ``many``: when two rows are needed."""
        super().__init__()
        image_size = few if len(positions) <= 5 else many
        self.tiles: dict[FingerPosition, FingerTile] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        grid = QGridLayout()
        grid.setSpacing(6)
        outer.addLayout(grid)
        outer.addStretch()  # tiles keep their own height when the policy asks for few fingers
        for i, position in enumerate(positions):  # in the order they are taken, five to a row
            tile = FingerTile(lang, position, minimum, image_size)
            self.tiles[position] = tile
            grid.addWidget(tile, i // 5, i % 5)
        for column in range(min(5, len(positions))):
            grid.setColumnStretch(column, 1)

    def retranslate(self) -> None:
        for tile in self.tiles.values():
            tile.retranslate()

    def show_sequence(self, results, exceptions, current: FingerPosition | None,
                      last_poor: dict[FingerPosition, tuple[np.ndarray, int]] | None = None) -> None:
        """Each tile from the record so far: taken (image, score), exception (reason), the current one outlined."""
        taken = {r.position: r for r in results}
        exempt = {e.position: e for e in exceptions}
        for position, tile in self.tiles.items():
            if position in exempt:
                r = taken.get(position)
                tile.show_result("exempt", r.image if r else None, r.quality if r else None, exempt[position].reason)
            elif position in taken:
                tile.show_result("done", taken[position].image, taken[position].quality)
            elif last_poor and position in last_poor:
                image, score = last_poor[position]
                tile.show_result("poor", image, score, current=position == current)
            else:
                tile.show_result("todo", current=position == current)
