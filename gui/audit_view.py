"""The supervisor's audit log browser: filtered, paged, and never reading on the GUI thread.

Every read goes through the job pool: a page of entries (``AuditLog.page``, filtered and
limited in SQL) and the chain check (``AuditLog.verify``, in batches). Typing in a filter
asks nothing until the keys have rested for ``DEBOUNCE_MS``; an answer to a query that has
since been replaced is dropped; the table starts with the newest ``PAGE_SIZE`` entries and
the "more" button appends the next older ones. On a 100,000-entry log the window keeps
repainting throughout (``gui/stall_bench.py`` measures it).

The page uses only ``console.station.audit``, ``console.lang``, ``console.officer`` and
``console.show_page``.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from domain.catalog import render_error

from .jobs import run_job
from .page import Page

PAGE_SIZE = 200
DEBOUNCE_MS = 250
CHAIN_UNKNOWN, CHAIN_OK = -1, 0  # else the seq of the first broken entry


def fetch_page(audit, query: int, filters: tuple, before_seq: int | None, limit: int, append: bool) -> dict:
    """On a pool thread: one page of entries, already turned into the table's texts."""
    entries = audit.page(*filters, before_seq=before_seq, limit=limit + 1)
    shown = entries[:limit]
    return {"query": query, "append": append, "more": len(entries) > limit,
            "oldest": shown[-1].seq if shown else before_seq,
            "rows": [(e.at[:19], e.actor, e.action, e.application or "", str(e.detail)) for e in shown]}


def check_chain(audit, check: int) -> tuple[int, int]:
    """On a pool thread: the whole chain, read in batches; ``(check, CHAIN_OK or the broken seq)``."""
    broken = audit.verify()
    return check, CHAIN_OK if broken is None else broken


class AuditPage(Page):
    """The supervisor's audit log browser, filtered by officer, action or application."""

    name = "audit"

    def __init__(self, console) -> None:
        super().__init__(console)
        self.actor, self.action, self.application = QLineEdit(), QLineEdit(), QLineEdit()
        self.table = QTableWidget(0, 5)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.more = QPushButton()
        self.more.setEnabled(False)
        self.back = QPushButton()
        self.chain = QLabel()
        self.message = QLabel()  # a read that failed, as a sentence
        self.message.setStyleSheet("color:#b3261e")
        self.message.hide()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.reload)
        filters = QHBoxLayout()
        for field in (self.actor, self.action, self.application):
            filters.addWidget(field)
            field.textChanged.connect(self._typed)
        box = QVBoxLayout(self)
        box.addLayout(filters)
        box.addWidget(self.table)
        box.addWidget(self.more)
        box.addWidget(self.message)
        box.addWidget(self.chain)
        box.addWidget(self.back)
        self.more.clicked.connect(self.load_more)
        self.back.clicked.connect(lambda: self.console.show_page("queue"))
        self.query = 0  # the listing's generation: an answer for an older one is dropped
        self.loading = False
        self.filters: tuple = (None, None, None)
        self.oldest: int | None = None  # seq of the last row shown: the next page starts below it
        self.check = 0  # the chain check's generation
        self.chain_state = CHAIN_UNKNOWN
        self.retranslate()

    def retranslate(self) -> None:
        self.actor.setPlaceholderText(self.tr("ui.filter_officer"))
        self.action.setPlaceholderText(self.tr("ui.filter_action"))
        self.application.setPlaceholderText(self.tr("ui.application_number"))
        self.table.setHorizontalHeaderLabels([self.tr(f"ui.audit_{c}") for c in
                                              ("time", "officer", "action", "application", "detail")])
        self.more.setText(self.tr("ui.audit_more"))
        self.back.setText(self.tr("ui.back"))
        self._show_chain()

    # -- reading, always on the pool -------------------------------------------------------------
    def _allowed(self) -> bool:
        officer = self.console.officer
        return officer is not None and officer.may("audit")

    def _typed(self, _text: str) -> None:
        self.debounce.start()  # (re)started: the query goes when the keys rest

    def entered(self) -> None:
        self.reload()
        self.check_chain()

    def reload(self) -> None:
        """Ask for the newest page under the filters as they read now."""
        self.debounce.stop()
        self.query += 1
        self.filters = tuple(f.text().strip() or None for f in (self.actor, self.action, self.application))
        self.oldest = None
        self.more.setEnabled(False)
        if not self._allowed():
            self.table.setRowCount(0)
            return
        self.loading = True
        run_job(fetch_page, self.console.station.audit, self.query, self.filters, None, PAGE_SIZE, False,
                on_done=self._shown, on_error=self._failed)

    def load_more(self) -> None:
        """Append the next older page of the same query."""
        if self.loading or self.oldest is None or not self._allowed():
            return
        self.loading = True
        self.more.setEnabled(False)
        run_job(fetch_page, self.console.station.audit, self.query, self.filters, self.oldest, PAGE_SIZE, True,
                on_done=self._shown, on_error=self._failed)

    def check_chain(self) -> None:
        self.check += 1
        self.chain_state = CHAIN_UNKNOWN  # never an earlier "intact" while the log is read again
        self._show_chain()
        if not self._allowed():
            return
        run_job(check_chain, self.console.station.audit, self.check, on_done=self._chain_checked,
                on_error=self._failed)

    # -- answers, on the GUI thread --------------------------------------------------------------
    def _shown(self, page: dict) -> None:
        if page["query"] != self.query:
            return  # the filters changed while it was read
        self.loading = False
        self.message.hide()
        rows = page["rows"]
        self.table.setUpdatesEnabled(False)
        first = self.table.rowCount() if page["append"] else 0
        self.table.setRowCount(first + len(rows))
        for r, values in enumerate(rows, start=first):
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.setUpdatesEnabled(True)
        self.oldest = page["oldest"]
        self.more.setEnabled(page["more"])

    def _chain_checked(self, result: tuple[int, int]) -> None:
        check, state = result
        if check == self.check:
            self.chain_state = state
            self._show_chain()

    def _show_chain(self) -> None:
        if self.chain_state == CHAIN_UNKNOWN:
            self.chain.setText("")
        elif self.chain_state == CHAIN_OK:
            self.chain.setText(self.tr("ui.chain_ok"))
        else:
            self.chain.setText(self.tr("ui.chain_broken", seq=self.chain_state))

    def _failed(self, exc: BaseException) -> None:
        self.loading = False
        self.more.setEnabled(self.oldest is not None)
        self.message.setText(render_error(exc, self.lang.code))
        self.message.show()
