"""``biostation screenshots``: every main screen rendered offscreen to PNG, for docs and review.

It runs in a throwaway station home with the embedded central record (today's demo
appointments booked in it), the emulated sensor playing ten synthetic fingers and a file
camera (the given one, or scikit-image's astronaut portrait when that is installed, else a
plain frame), and drives the real windows through a real first run and enrollment. Each
screen is written as ``<screen>@<width>.png`` at 1366×768, the smallest screen a counter
has, and at 1920×1080.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from domain.fingers import FingerPosition

SIZES = ((1366, 768), (1920, 1080))
SUPERVISOR, SUPERVISOR_PASSWORD = "budi", "kopi susu di pagi hari"  # a throwaway home's accounts
OFFICER, OFFICER_PASSWORD = "siti", "teh manis sore hari"


def _default_camera(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from matching.face.sample import astronaut, studio

        frame = cv2.cvtColor(studio(astronaut()), cv2.COLOR_RGB2BGR)
    except ImportError:  # scikit-image is a development dependency
        frame = np.full((480, 640, 3), 128, np.uint8)
    cv2.imwrite(str(folder / "frame.png"), frame)
    return f"file:{folder}"


def _pump(app, seconds: float, until=None) -> bool:
    """Run the event loop up to ``seconds``; True as soon as ``until()`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.02)
    return until is None


def take_screenshots(out: Path, settings, language: str, camera_url: str | None = None,
                     scanner_url: str | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from station.demo import add_demo_appointments, embedded_office
    from station.wiring import wire

    from .calibration_tool import CalibrationTool
    from .console import Console
    from .i18n import Language
    from .kiosk import Kiosk

    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="biostation-screens-"))
    fingers = home / "fingers"
    from matching.fingerprint.synth import write_synthetic_fingers

    write_synthetic_fingers(fingers, 10, 2, seed=7)
    camera_url = camera_url or _default_camera(home / "camera")
    scanner_url = scanner_url or f"zfm-sim:{fingers}"
    app = QApplication.instance() or QApplication([])
    lang = Language(language)
    wiring = wire(replace(settings, home=home, central_url="", office=""), camera_url, scanner_url)
    written: list[Path] = []

    def shot(widget, name: str) -> None:
        """The widget at each size, as ``name@width.png``."""
        for width, height in SIZES:
            widget.resize(width, height)
            _pump(app, 0.3)
            path = out / f"{name}@{width}.png"
            widget.grab().save(str(path))
            written.append(path)
        widget.resize(*SIZES[0])
        app.processEvents()

    try:
        station = wiring.station
        add_demo_appointments(wiring.embedded, settings.timezone)
        policy = replace(wiring.policy, face_timeout_s=4.0, fingers=tuple(FingerPosition))  # all ten shown
        console = Console(station, lang, wiring.camera, wiring.scanner, wiring.workers, policy,
                          office_hint=embedded_office(wiring.embedded))
        console.resize(*SIZES[0])
        console.show()
        _pump(app, 10, lambda: bool(console.central_label.text() and console.outbox_label.text()))
        first = console.pages["first_run"]
        first.user.setText(SUPERVISOR)
        first.password.setText(SUPERVISOR_PASSWORD)
        first.repeat.setText(SUPERVISOR_PASSWORD)
        shot(console, "first_run")
        first.create()
        _pump(app, 20, lambda: console.page == "queue")
        station.officers.add(OFFICER, "officer", OFFICER_PASSWORD, by=SUPERVISOR)
        console.lock()
        shot(console, "login")
        console.logged_in(station.officers.authenticate(OFFICER, OFFICER_PASSWORD))
        queue = console.pages["queue"]
        _pump(app, 10, lambda: queue.table.rowCount() > 0)
        shot(console, "queue")
        queue.open_application()
        _pump(app, 10, lambda: console.page == "consent")
        consent = console.pages["consent"]
        consent.consent.setChecked(True)
        shot(console, "consent")
        consent.next()
        _pump(app, 10, lambda: console.page == "face")
        face = console.pages["face"]
        _pump(app, 10, lambda: face.checks.count() > 5)
        _pump(app, 1.0)
        shot(console, "face")
        _pump(app, 30, lambda: face.next_button.isVisible() or face.keep_button.isVisible())
        if face.keep_button.isVisible():  # the portrait smiles: keep the best photo as an exception
            face.finish()
        _pump(app, 30, lambda: face.next_button.isVisible())
        face.next()
        finger_page = console.pages["fingers"]
        sequence = console.flow.fingers
        _pump(app, 180, lambda: len(sequence.results) >= 7 or finger_page.keep_button.isVisible())
        finger_page.reason.setCurrentIndex(finger_page.reason.findData("injured"))
        finger_page.mark_exception()  # an injured finger: its tile and the review show the exception
        _pump(app, 1.0)
        shot(console, "fingers")
        _pump(app, 180, lambda: finger_page.next_button.isVisible() or finger_page.keep_button.isVisible())
        while finger_page.keep_button.isVisible():
            finger_page.keep_best()
            _pump(app, 60, lambda: finger_page.next_button.isVisible() or finger_page.keep_button.isVisible())
        finger_page.to_review()
        _pump(app, 10, lambda: console.page == "review")
        shot(console, "review")
        enrollment = console.enrollment
        console.pages["review"].park()
        console.officer = station.officers.authenticate(SUPERVISOR, SUPERVISOR_PASSWORD)
        console.show_page("approvals")
        shot(console, "approvals")
        approvals = console.pages["approvals"]
        approvals.password.setText(SUPERVISOR_PASSWORD)
        approvals.approve()
        _pump(app, 30, lambda: not console.counter.pending)
        console.enrollment = enrollment  # the approved record's done page and slip
        console.header.show_application(enrollment.record.application, console.appointment_time)
        console.show_page("done")
        _pump(app, 1.0)
        if not console.pages["done"].preview.isHidden():
            shot(console, "slip")
        console.enrollment_finished()
        console.show_page("audit")
        _pump(app, 10, lambda: bool(console.pages["audit"].chain.text()))
        shot(console, "audit_log")
        console.close()
        kiosk = Kiosk(station, lang, wiring.camera, wiring.scanner, wiring.workers, policy=wiring.policy)
        kiosk.setVisible(True)
        shot(kiosk, "kiosk")
        number = enrollment.record.application["number"]
        kiosk.start_verification(number, {"face_embedding": None, "fingers": []})
        _pump(app, 1.5)
        shot(kiosk, "kiosk_verify")
        kiosk.close()
        tool = CalibrationTool(station, lang, "camera", wiring.scanner)
        tool.technician = station.officers.authenticate(SUPERVISOR, SUPERVISOR_PASSWORD)
        tool.stack.setCurrentWidget(tool.work_page)
        tool.show()
        shot(tool, "calibration")
        tool.close()
    finally:
        wiring.close()
    return written
