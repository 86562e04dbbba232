"""How long the GUI thread's event loop stalls while the station works (``biostation bench``).

A 10 ms Qt timer ticks on the GUI thread; the longest gap between ticks is the longest
moment a window could not have repainted or reacted to a tap. Measured during an image
upload from the emulator paced at the sensor's 57,600 baud (a thread: serial I/O) and
during a 1:N fingerprint search (a worker process), the two slowest things a window starts,
and in the supervisor's audit page over a 100,000-entry log: opening it (a page of entries
and the whole chain checked), typing an application number and an officer's name into its
filters, and paging on. The target is under 100 ms everywhere.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace


def longest_gap(app, done, limit_s: float = 120.0) -> float:
    """Longest gap between ticks of a 10 ms GUI timer until ``done()`` (seconds)."""
    from PySide6.QtCore import QTimer

    gaps, last = [0.0], [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    deadline = time.monotonic() + limit_s
    while not done() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    return max(gaps)


def event_loop_stalls(gallery_size: int = 3000) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import cv2
    from PySide6.QtWidgets import QApplication

    from drivers import FingerPosition, open_scanner
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.search import FingerprintGallery
    from matching.fingerprint.synth import write_synthetic_fingers
    from matching.workers import MatchingWorkers

    from .jobs import run_job, when_ready

    app = QApplication.instance() or QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="stall-bench-"))
    write_synthetic_fingers(folder, 4, 2, seed=3)
    out = {}
    with open_scanner(f"zfm-sim:{folder}?baud=57600") as scanner:
        done = []
        started = time.perf_counter()
        run_job(scanner.capture, FingerPosition.RIGHT_THUMB, 30.0, on_done=done.append, on_error=done.append,
                on_progress=lambda _f: None)
        out["upload_57600_longest_stall_ms"] = round(longest_gap(app, lambda: bool(done)) * 1000, 1)
        out["upload_57600_seconds"] = round(time.perf_counter() - started, 2)
    images = sorted(folder.glob("*.png"))
    gallery = FingerprintGallery()
    for path in images:
        gallery.add(path.stem, extract(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)))
    while len(gallery) < gallery_size:
        gallery.add_prepared(f"copy-{len(gallery)}", gallery.cylinders(len(gallery) % len(images)))
    with MatchingWorkers(1, warm=True) as workers:
        workers.set_gallery(gallery).result(timeout=300)
        probe = extract(cv2.imread(str(images[0]), cv2.IMREAD_GRAYSCALE))
        workers.search_fingers(probe).result(timeout=120)  # index built
        found = []
        started = time.perf_counter()
        when_ready(workers.search_fingers(probe), found.append, found.append)
        out["search_1n_longest_stall_ms"] = round(longest_gap(app, lambda: bool(found)) * 1000, 1)
        out["search_1n_gallery"] = len(gallery)
        out["search_1n_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return out | audit_page_stalls()


def fill_audit_log(audit, entries: int, seed: int = 7) -> list[str]:
    """``entries`` entries like a busy office's, chained as ``record`` chains them; the numbers used."""
    rng = random.Random(seed)
    actors = [f"officer{k:02d}" for k in range(20)] + ["station", "kiosk"]
    actions = ["login", "enrollment.open", "enrollment.approve", "packet.sealed", "outbox.put", "packet.delivered",
               "verify.start", "verify.match", "console.locked"]
    numbers = [f"P2612{k:08d}" for k in range(max(1, entries // 5))]

    def entry(k: int) -> tuple:
        action = rng.choice(actions)
        if action in ("login", "console.locked"):
            return rng.choice(actors), action, None, {}
        detail = {"packet": f"{rng.getrandbits(128):032x}"} if "packet" in action else {"step": k}
        return rng.choice(actors), action, rng.choice(numbers), detail

    for start in range(0, entries, 10_000):  # one transaction per 10,000 entries
        audit.record_many(entry(k) for k in range(start, min(entries, start + 10_000)))
    return numbers


def audit_page_stalls(entries: int = 100_000, key_interval_ms: int = 120) -> dict:
    """Longest GUI stall in the audit page (gui.audit_view) over an ``entries``-entry log."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QThreadPool, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from station.audit import open_audit
    from station.officers import Officer

    from .audit_view import CHAIN_OK, PAGE_SIZE, AuditPage
    from .i18n import Language

    app = QApplication.instance() or QApplication([])
    audit = open_audit(Path(tempfile.mkdtemp(prefix="stall-audit-")))
    started = time.perf_counter()
    numbers = fill_audit_log(audit, entries)
    out = {"audit_entries": audit.count(), "audit_fill_seconds": round(time.perf_counter() - started, 1)}
    console = SimpleNamespace(station=SimpleNamespace(audit=audit), lang=Language("en"),
                              officer=Officer("budi", "supervisor"), show_page=lambda _name: None)
    page = AuditPage(console)
    page.resize(1200, 800)
    page.show()
    app.processEvents()

    def settled() -> bool:
        return not page.loading and not page.debounce.isActive()

    # opening the page: the newest page shown, the whole chain checked on the pool
    started = time.perf_counter()
    QTimer.singleShot(20, page.entered)
    gap = longest_gap(app, lambda: page.chain_state == CHAIN_OK and page.table.rowCount() == PAGE_SIZE)
    out["audit_open_longest_stall_ms"] = round(gap * 1000, 1)
    out["audit_chain_check_seconds"] = round(time.perf_counter() - started, 2)

    def typing(field, text: str) -> float:
        """Type ``text`` key by key, ``key_interval_ms`` apart; the longest stall until its page shows."""
        for i, char in enumerate(text):
            QTimer.singleShot(20 + i * key_interval_ms, lambda c=char: QTest.keyClick(field, c))
        return longest_gap(app, lambda: field.text() == text and settled())

    number = next(n for n in numbers if audit.count(application=n) >= 3)
    out["audit_type_application_longest_stall_ms"] = round(typing(page.application, number) * 1000, 1)
    shown = {page.table.item(r, 3).text() for r in range(page.table.rowCount())}
    assert shown == {number}, shown
    page.application.clear()
    out["audit_type_officer_longest_stall_ms"] = round(typing(page.actor, "officer07") * 1000, 1)
    assert page.table.rowCount() == PAGE_SIZE
    # paging on: the next older page appended, five times
    stalls = [0.0]
    for _ in range(5):
        if not page.more.isEnabled():
            break
        rows = page.table.rowCount()
        QTimer.singleShot(20, page.more.click)
        stalls.append(longest_gap(app, lambda r=rows: page.table.rowCount() > r and settled()))
    out["audit_more_longest_stall_ms"] = round(max(stalls) * 1000, 1)
    out["audit_longest_stall_ms"] = max(v for k, v in out.items() if k.endswith("_longest_stall_ms"))
    QThreadPool.globalInstance().waitForDone()
    page.close()
    audit.close()
    return out


if __name__ == "__main__":  # python -m gui.stall_bench audit [ENTRIES]: the audit page alone
    if sys.argv[1:2] == ["audit"]:
        print(json.dumps(audit_page_stalls(int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)))
    else:
        print(json.dumps(event_loop_stalls()))
