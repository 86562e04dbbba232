"""The supervisors' queue: every record awaiting approval at this console, approved several at a time.

A supervisor is not called to the counter for each record with an exception: officers hand
such records here and call the next applicant, and the supervisor reviews the list (what
each exception is, who enrolled it, since when), ticks the ones to approve and signs in once
for the batch. The approval itself is ``station.counter.Counter.approve``'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from domain.catalog import render_error

from .jobs import run_job
from .page import Page, keyed
from .widgets import DONE, FAIL, big_font

if TYPE_CHECKING:
    from .console import Console


class ApprovalsPage(Page):
    name = "approvals"
    COLUMNS = ("console.col_number", "console.col_name", "console.col_service", "console.col_exceptions",
               "console.col_officer", "console.col_waiting")

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.heading = QLabel()
        self.heading.setFont(big_font(17))
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setStyleSheet("font-size:12pt")
        self.all_button = QPushButton()
        self.supervisor = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.approve_button = QPushButton()
        self.back_button = QPushButton()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color:#555")
        sign = QHBoxLayout()
        sign.addWidget(self.all_button)
        sign.addStretch()
        sign.addWidget(self.supervisor)
        sign.addWidget(self.password)
        sign.addWidget(self.approve_button)
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addStretch()
        top.addWidget(self.back_button)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.hint)
        box.addWidget(self.table, 1)
        box.addLayout(sign)
        box.addWidget(self.message)
        self.all_button.clicked.connect(self.tick_all)
        self.supervisor.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.approve)
        self.approve_button.clicked.connect(self.approve)
        self.back_button.clicked.connect(lambda: self.console.show_page("queue"))
        self.retranslate()

    def keys(self) -> dict:
        return {Qt.Key.Key_F6: self.tick_all, Qt.Key.Key_Escape: lambda: self.console.show_page("queue")}

    def retranslate(self) -> None:
        self.heading.setText(self.tr("console.approvals_heading", count=len(self.console.counter.pending)))
        self.hint.setText(self.tr("console.approvals_hint"))
        self.all_button.setText(keyed(self.tr("console.tick_all"), "F6"))
        self.supervisor.setPlaceholderText(self.tr("ui.supervisor"))
        self.password.setPlaceholderText(self.tr("ui.password"))
        self.approve_button.setText(keyed(self.tr("console.approve_ticked"), "Enter"))
        self.back_button.setText(keyed(self.tr("ui.back"), "Esc"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLUMNS])
        if self.console.page == self.name:
            self.fill()

    def entered(self) -> None:
        self.message.clear()
        self.password.clear()
        officer = self.console.officer
        if officer is not None and officer.may("approve") and not self.supervisor.text():
            self.supervisor.setText(officer.name)
        self.fill()
        (self.password if self.supervisor.text() else self.supervisor).setFocus()

    def fill(self) -> None:
        from station.counter import local_time

        waiting = self.console.counter.waiting()
        self.heading.setText(self.tr("console.approvals_heading", count=len(waiting)))
        self.table.setRowCount(len(waiting))
        for i, enrollment in enumerate(waiting):
            record = enrollment.record
            a = record.application
            reasons = [self.tr("ui.review_exception", finger=e.position, reason=e.reason) for e in record.exceptions]
            if record.face is not None and record.face.quality_exception:
                reasons.insert(0, self.tr("console.face_exception"))
            cells = (a["number"], f"{a.get('given_name', '')} {a.get('surname', '')}",
                     self.tr(f"name.service.{a.get('service', '')}"), "; ".join(reasons), record.officer,
                     local_time(record.started_at, self.console.zone))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, a["number"])
                if j == 0:
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked)
                self.table.setItem(i, j, item)
        if waiting:
            self.table.selectRow(0)
        self.approve_button.setEnabled(bool(waiting))

    def ticked(self) -> list[str]:
        return [self.table.item(i, 0).data(Qt.ItemDataRole.UserRole) for i in range(self.table.rowCount())
                if self.table.item(i, 0).checkState() == Qt.CheckState.Checked]

    def tick_all(self) -> None:
        """All ticked, or none when all already are."""
        items = [self.table.item(i, 0) for i in range(self.table.rowCount())]
        state = Qt.CheckState.Unchecked if all(i.checkState() == Qt.CheckState.Checked for i in items) \
            else Qt.CheckState.Checked
        for item in items:
            item.setCheckState(state)

    def approve(self) -> None:
        numbers = self.ticked()
        if not numbers:
            self.message.setText(self.tr("console.none_ticked"))
            self.message.setStyleSheet(f"color:{FAIL}")
            return
        self.approve_button.setEnabled(False)

        def done(outcome) -> None:
            self.password.clear()
            self.fill()
            text = self.tr("console.approved_batch", count=len(outcome.approved))
            if outcome.failed:
                text += " " + self.tr("console.approval_failed", numbers=", ".join(outcome.failed))
            self.message.setText(text)
            self.message.setStyleSheet(f"color:{FAIL if outcome.failed else DONE}")
            self.console.pages["queue"].retranslate()
            run_job(self.console.station.flush, on_done=lambda _r: self.console.refresh_status(),
                    on_error=lambda _e: self.console.refresh_status())

        def failed(exc) -> None:
            self.approve_button.setEnabled(True)
            self.message.setText(render_error(exc, self.lang.code))
            self.message.setStyleSheet(f"color:{FAIL}")
            self.password.selectAll()

        run_job(self.console.counter.approve, self.console.station.officers, numbers, self.supervisor.text().strip(),
                self.password.text(), on_done=done, on_error=failed)
