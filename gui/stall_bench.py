"""How long the GUI thread's event loop stalls while the station works (``biostation bench``).

A 10 ms Qt timer ticks on the GUI thread; the longest gap between ticks is the longest
moment a window could not have repainted or reacted to a tap. Measured during an image
upload from the emulator paced at the sensor's 57,600 baud (a thread: serial I/O) and
during a 1:N fingerprint search (a worker process), the two slowest things a window starts.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


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
        gallery.add_prepared(f"copy-{len(gallery)}", gallery.cylinders[len(gallery) % len(images)])
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
    return out
