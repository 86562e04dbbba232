"""The console's first run on a fresh station: the office, then the first supervisor's account.

Shown instead of the log-in while the station has no account, so nothing has to be known in
advance and no default password exists anywhere. The checks and the saving are
``station.first_run``'s; this page shows them as the person types (the password's strength,
whether the two passwords match) and opens the console signed in as the new supervisor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QProgressBar, QPushButton, QVBoxLayout

from domain.catalog import render_error
from station.first_run import FirstRunForm, complete, problem, strength

from .jobs import run_job
from .page import Page
from .widgets import DONE, EXEMPT, FAIL, big_font

if TYPE_CHECKING:
    from .console import Console

STRENGTH_COLOURS = (FAIL, FAIL, EXEMPT, DONE, DONE)


def fit_wrapped(label: QLabel, width: int) -> None:
    """Give a word-wrapped label the height its text needs at ``width`` (layouts otherwise clip it)."""
    label.setMinimumHeight(label.heightForWidth(width))


class FirstRunPage(Page):
    name = "first_run"

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.title = QLabel()
        self.title.setFont(big_font(20))
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.office_label, self.name_label = QLabel(), QLabel()
        self.password_label, self.repeat_label = QLabel(), QLabel()
        self.office = QLineEdit(console.office or console.office_hint)
        self.office_note = QLabel()
        self.office_note.setStyleSheet("color:#555")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.meter = QProgressBar()
        self.meter.setRange(0, 4)
        self.meter.setTextVisible(False)
        self.meter.setMaximumHeight(10)
        self.strength = QLabel()
        self.strength.setWordWrap(True)
        self.match = QLabel()
        self.button = QPushButton()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color:{FAIL}")
        card = QFrame()
        card.setObjectName("card")
        card.setStyleSheet("#card{border:1px solid #c8ccd4;border-radius:8px;background:#fafbfd}")
        card.setFixedWidth(560)
        form = QVBoxLayout(card)
        form.setContentsMargins(28, 20, 28, 20)
        form.setSpacing(4)
        for w in (self.title, self.intro, self.office_label, self.office, self.office_note, self.name_label, self.user,
                  self.password_label, self.password, self.meter, self.strength, self.repeat_label, self.repeat,
                  self.match, self.button, self.message):
            form.addWidget(w)
        box = QVBoxLayout(self)
        box.addStretch()
        box.addWidget(card, alignment=Qt.AlignmentFlag.AlignCenter)
        box.addStretch()
        self.office.returnPressed.connect(self.user.setFocus)
        self.user.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.create)
        self.button.clicked.connect(self.create)
        for field in (self.user, self.password, self.repeat):
            field.textChanged.connect(self.rate)
        self.retranslate()

    def form(self) -> FirstRunForm:
        return FirstRunForm(self.office.text(), self.user.text(), self.password.text(), self.repeat.text())

    def retranslate(self) -> None:
        self.title.setText(self.tr("console.first_run_title"))
        self.intro.setText(self.tr("console.first_run_intro"))
        self.office_label.setText(self.tr("console.office"))
        self.name_label.setText(self.tr("console.supervisor_name"))
        self.password_label.setText(self.tr("ui.password"))
        self.repeat_label.setText(self.tr("console.password_repeat"))
        self.button.setText(self.tr("console.first_run_create"))
        hint = self.console.office_hint
        self.office_note.setText(self.tr("console.office_suggested", office=hint) if hint else "")
        self.office_note.setVisible(bool(hint))
        self.rate()
        fit_wrapped(self.intro, 504)

    def entered(self) -> None:
        (self.office if not self.office.text() else self.user).setFocus()

    def rate(self) -> None:
        """The meter and its words as the password is typed; whether the two passwords match."""
        form = self.form()
        if not form.password:
            self.meter.setValue(0)
            self.strength.setText(self.tr("console.strength_rules"))
            self.strength.setStyleSheet("color:#555")
        else:
            rated = strength(form)
            self.meter.setValue(rated.score)
            colour = STRENGTH_COLOURS[rated.score]
            self.meter.setStyleSheet(f"QProgressBar::chunk{{background:{colour}}}")
            self.strength.setText(self.tr("console.strength", verdict=self.tr(rated.message_id, **rated.params)))
            self.strength.setStyleSheet(f"color:{colour}")
        if form.repeat:
            same = form.repeat == form.password
            self.match.setText(self.tr("console.passwords_match" if same else "console.passwords_differ"))
            self.match.setStyleSheet(f"color:{DONE if same else FAIL}")
        else:
            self.match.clear()

    def create(self) -> None:
        form = self.form()
        found = problem(form)
        if found is not None:
            self.message.setText(self.tr(found[0], **found[1]))
            return
        self.button.setEnabled(False)
        self.message.clear()

        def done(officer) -> None:
            self.button.setEnabled(True)
            self.password.clear()
            self.repeat.clear()
            self.console.retranslate()
            self.console.logged_in(officer)

        def failed(exc) -> None:
            self.button.setEnabled(True)
            self.message.setText(render_error(exc, self.lang.code))

        run_job(complete, self.console.station, form, on_done=done, on_error=failed)
