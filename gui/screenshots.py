"""``biostation screenshots``: every main screen rendered offscreen to PNG, for docs and review.

It runs in a throwaway station home with the embedded central record, the emulated sensor
and a file camera (the given one, or scikit-image's astronaut portrait when that is
installed, else a plain frame), and drives the real windows through a real enrollment.
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


def _default_camera(folder: Path) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    try:
        from matching.face.sample import astronaut, studio

        frame = cv2.cvtColor(studio(astronaut()), cv2.COLOR_RGB2BGR)
    except ImportError:  # scikit-image is a development dependency
        frame = np.full((480, 640, 3), 128, np.uint8)
    cv2.imwrite(str(folder / "frame.png"), frame)
    return f"file:{folder}"


def _pump(app, seconds: float, until=None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if until is not None and until():
            return
        time.sleep(0.02)


def take_screenshots(out: Path, settings, language: str, camera_url: str | None = None,
                     scanner_url: str | None = None) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from enrollment.policy import Policy
    from station.wiring import wire

    from .calibration_tool import CalibrationTool
    from .console import Console
    from .i18n import Language
    from .kiosk import Kiosk

    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="biostation-screens-"))
    fingers = home / "fingers"
    from matching.fingerprint.synth import write_synthetic_fingers

    write_synthetic_fingers(fingers, 2, 4, seed=7)
    camera_url = camera_url or _default_camera(home / "camera")
    scanner_url = scanner_url or f"zfm-sim:{fingers}"
    app = QApplication.instance() or QApplication([])
    lang = Language(language)
    wiring = wire(replace(settings, home=home, central_url=""), camera_url, scanner_url)
    written: list[Path] = []

    def shot(widget, name: str) -> None:
        app.processEvents()
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        written.append(path)

    try:
        station = wiring.station
        station.officers.add("siti", "officer", "officer-pass")
        station.officers.add("budi", "supervisor", "supervisor-pass")
        number = wiring.embedded.add_application("Siti", "Rahayu", "1990-04-01", "passport")
        policy = Policy(fingers=(FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX), face_timeout_s=4.0)
        console = Console(station, lang, wiring.camera, wiring.scanner, wiring.workers, policy)
        console.show()
        shot(console, "login")
        console.logged_in(station.officers.authenticate("siti", "officer-pass"))
        _pump(app, 5, lambda: console.pages["queue"].listing.count() > 0)
        shot(console, "queue")
        queue = console.pages["queue"]
        queue.number.setText(number)
        queue.consent.setChecked(True)
        queue.open_application()
        _pump(app, 10, lambda: console.page == "face")
        _pump(app, 2.5)
        shot(console, "face_capture")
        face = console.pages["face"]
        _pump(app, 30, lambda: face.next_button.isVisible() or face.keep_button.isVisible())
        if face.keep_button.isVisible():  # the portrait smiles: keep the best photo as an exception
            face.keep_button.click()
        _pump(app, 30, lambda: face.next_button.isVisible())
        if console.pages["face"].next_button.isVisible():
            console.pages["face"].next_button.click()
        _pump(app, 3)
        shot(console, "finger_capture")
        _pump(app, 60, lambda: console.pages["fingers"].next_button.isVisible())
        if console.pages["fingers"].next_button.isVisible():
            console.pages["fingers"].next_button.click()
            _pump(app, 10, lambda: console.page == "review")
            shot(console, "review")
        console.officer = station.officers.authenticate("budi", "supervisor-pass")
        console.show_page("audit")
        _pump(app, 10, lambda: bool(console.pages["audit"].chain.text()))
        shot(console, "audit_log")
        console.close()
        kiosk = Kiosk(station, lang, wiring.camera, wiring.scanner, wiring.workers, policy=wiring.policy)
        kiosk.resize(1080, 1600)
        kiosk.setVisible(True)
        shot(kiosk, "kiosk_home")
        kiosk.start_verification(number, {"face_embedding": None, "fingers": []})
        _pump(app, 1.5)
        shot(kiosk, "kiosk_verify")
        kiosk.close()
        tool = CalibrationTool(station, lang, "camera", wiring.scanner)
        tool.technician = station.officers.authenticate("budi", "supervisor-pass")
        tool.stack.setCurrentWidget(tool.work_page)
        tool.show()
        shot(tool, "calibration")
        tool.close()
    finally:
        wiring.close()
    return written
