"""The audit log browser (gui.audit_view), driven offscreen: filters, pages, and a chain someone edited."""

from __future__ import annotations

import sqlite3
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QThreadPool

from domain.catalog import render
from gui.audit_view import PAGE_SIZE, AuditPage
from gui.i18n import Language
from station.audit import open_audit
from station.officers import Officer

WAIT = 30_000


class Console:
    """What the page may use of the console, and nothing else."""

    def __init__(self, audit, officer: Officer | None) -> None:
        self.station = SimpleNamespace(audit=audit)
        self.lang = Language("en")
        self.officer = officer
        self.shown: list[str] = []

    def show_page(self, name: str) -> None:
        self.shown.append(name)


@pytest.fixture
def audit(tmp_path):
    log = open_audit(tmp_path)
    log.record_many([("siti", "enrollment.open", f"A{i:04d}", {"i": i}) for i in range(2 * PAGE_SIZE + 50)])
    log.record_many([("budi", "enrollment.approve", "P7", {"i": i}) for i in range(3)])
    log.record("siti", "login")
    yield log
    QThreadPool.globalInstance().waitForDone()  # no read left running on a closed log
    log.close()


def _column(page: AuditPage, col: int) -> list[str]:
    return [page.table.item(r, col).text() for r in range(page.table.rowCount())]


def test_pages_filters_and_a_broken_chain(qtbot, audit, tmp_path):
    console = Console(audit, Officer("budi", "supervisor"))
    page = AuditPage(console)
    qtbot.addWidget(page)
    page.show()
    page.entered()
    total = audit.count()
    qtbot.waitUntil(lambda: page.table.rowCount() == PAGE_SIZE, timeout=WAIT)
    qtbot.waitUntil(lambda: page.chain.text() == render("ui.chain_ok", "en"), timeout=WAIT)
    assert _column(page, 2)[0] == "login"  # newest first
    # "more" appends the next older page, until there is none
    assert page.more.isEnabled()
    page.more.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == 2 * PAGE_SIZE, timeout=WAIT)
    page.more.click()
    qtbot.waitUntil(lambda: page.table.rowCount() == total, timeout=WAIT)
    assert not page.more.isEnabled()
    assert _column(page, 4)[-1] == "{'i': 0}"  # the oldest entry last
    # typing a filter asks once, after the keys rest, and shows that application alone
    asked = page.query
    qtbot.keyClicks(page.application, "P7")
    assert page.query == asked  # nothing read per keystroke
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=WAIT)
    assert page.query == asked + 1
    assert set(_column(page, 3)) == {"P7"} and set(_column(page, 1)) == {"budi"}
    assert not page.more.isEnabled()
    # an answer to a query that has been replaced is dropped
    page._shown({"query": asked, "append": False, "more": True, "oldest": 1, "rows": [("t", "a", "b", "c", "d")] * 9})
    assert page.table.rowCount() == 3
    page.actor.setText("nobody")
    qtbot.waitUntil(lambda: page.table.rowCount() == 0, timeout=WAIT)
    page.back.click()
    assert console.shown == ["queue"]

    # someone with the file drops the guard and edits history: the page says where the chain breaks
    with sqlite3.connect(tmp_path / "audit.db") as raw:
        raw.execute("DROP TRIGGER audit_no_update")
        raw.execute("UPDATE audit SET actor = 'eve' WHERE seq = 7")
    page.entered()
    assert page.chain.text() == ""  # never the earlier "intact" while the log is read again
    qtbot.waitUntil(lambda: page.chain.text() == render("ui.chain_broken", "en", seq=7), timeout=WAIT)
    console.lang.set("id")
    page.retranslate()
    assert page.chain.text() == render("ui.chain_broken", "id", seq=7)


def test_only_a_supervisor_reads_the_log(qtbot, audit):
    page = AuditPage(Console(audit, Officer("siti", "officer")))
    qtbot.addWidget(page)
    page.entered()
    qtbot.wait(100)
    assert page.table.rowCount() == 0 and page.chain.text() == "" and not page.more.isEnabled()
