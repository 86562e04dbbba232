"""The strip above every enrollment screen: where the applicant is in the steps, and who the applicant is.

An officer working through hundreds of applicants a day must see at a glance which step
this is and whose record is open (number, name, service, the photo once taken), so a
wrong applicant or a skipped step shows before anything is submitted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from .i18n import Language
from .widgets import big_font

STEPS = ("application", "consent", "face", "fingers", "review", "done")
CURRENT, PASSED, AHEAD = "#1f4fd1", "#17702e", "#8a8a8a"


class StepBar(QWidget):
    """The six steps of an enrollment in a row; the current one stands out, the passed ones are ticked."""

    def __init__(self, lang: Language) -> None:
        super().__init__()
        self.lang = lang
        self.current = "application"
        self.labels: dict[str, QLabel] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(4)
        for i, step in enumerate(STEPS):
            if i:
                arrow = QLabel("›")
                arrow.setStyleSheet(f"color:{AHEAD};font-size:16pt")
                row.addWidget(arrow)
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            label.setMinimumHeight(30)
            self.labels[step] = label
            row.addWidget(label)
        self.retranslate()

    def set_step(self, step: str) -> None:
        self.current = step
        self.retranslate()

    def retranslate(self) -> None:
        at = STEPS.index(self.current) if self.current in STEPS else -1
        for i, step in enumerate(STEPS):
            label = self.labels[step]
            name = self.lang.tr(f"name.step.{step}")
            if i < at:
                label.setText(f"✔ {name}")
                style = f"color:{PASSED};border-bottom:3px solid {PASSED}"
            elif i == at:
                label.setText(f"{i + 1}  {name}")
                style = f"color:white;background:{CURRENT};border-radius:4px;font-weight:bold"
            else:
                label.setText(f"{i + 1}  {name}")
                style = f"color:{AHEAD};border-bottom:3px solid #dddddd"
            label.setStyleSheet(style + ";padding:3px 6px;font-size:11pt")
            label.setAccessibleName(self.lang.tr("console.step_of", step=step, at=i + 1, of=len(STEPS)))


class ApplicantHeader(QFrame):
    """Number, name, service, appointment time and the photo once it is taken."""

    def __init__(self, lang: Language) -> None:
        super().__init__()
        self.lang = lang
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("ApplicantHeader{background:#f2f5fb}")
        self.photo = QLabel()
        self.photo.setFixedSize(46, 59)
        self.photo.setScaledContents(True)
        self.photo.setStyleSheet("background:#d9dde6;border:1px solid #b8bfcc")
        self.name = QLabel()
        self.name.setFont(big_font(15))
        self.details = QLabel()
        self.details.setStyleSheet("color:#333;font-size:11pt")
        self.officer = QLabel()
        self.officer.setStyleSheet("color:#555;font-size:10pt")
        text = QWidget()
        column = QHBoxLayout(text)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.name)
        column.addSpacing(16)
        column.addWidget(self.details, 1)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.photo)
        row.addSpacing(8)
        row.addWidget(text, 1)
        row.addWidget(self.officer)
        self.application: dict | None = None
        self.time = ""

    def show_application(self, application: dict | None, time: str = "") -> None:
        self.application, self.time = application, time
        self.photo.clear()
        self.retranslate()

    def show_photo(self, pixmap: QPixmap | None) -> None:
        if pixmap is None:
            self.photo.clear()
        else:
            self.photo.setPixmap(pixmap)

    def show_officer(self, text: str) -> None:
        self.officer.setText(text)

    def retranslate(self) -> None:
        a = self.application
        if a is None:
            self.name.clear()
            self.details.clear()
            return
        self.name.setText(f"{a.get('given_name', '')} {a.get('surname', '')}".strip())
        self.details.setText(self.lang.tr("console.applicant_details", number=a["number"],
                                          service=a.get("service", ""), born=a.get("birth_date", ""),
                                          time=self.time or "–"))
