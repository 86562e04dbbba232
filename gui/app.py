"""Starting the windows: a display check first, devices and the central record wired, then Qt.

``QApplication`` aborts the whole process (no exception to catch) when there is no display
or when Qt's system libraries such as ``libxcb-cursor0`` are missing, so a child process
tries first and the station says plainly what is wrong and what to do instead.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass

from domain.errors import BiostationError

log = logging.getLogger("biostation.gui")
DEFAULT_CAMERA = "opencv:0"
DEFAULT_SCANNER = "zfm-sim:"  # simulated until a sensor is configured

_PROBE = "from PySide6.QtWidgets import QApplication; import sys; app = QApplication(sys.argv); print('ok')"


class DisplayError(BiostationError):
    """No window can open here; the message says why and what to do."""


def check_display() -> None:
    """Raise ``DisplayError`` (with how to fix it) unless a Qt window can open here."""
    if os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal"):
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DisplayError("ui.no_display")
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired as exc:
        raise DisplayError("ui.display_broken", detail="timeout") from exc
    if probe.returncode != 0 or "ok" not in probe.stdout:
        detail = (probe.stderr.strip().splitlines() or ["?"])[-1][:200]
        raise DisplayError("ui.display_broken", detail=detail)


@dataclass
class Wiring:
    station: object
    camera: object | None
    scanner: object | None
    workers: object
    embedded: object | None

    def close(self) -> None:
        for device in (self.camera, self.scanner):
            if device is not None:
                try:
                    device.close()
                except Exception:  # closing must not hide the reason the window closed
                    log.debug("device close failed", exc_info=True)
        self.workers.close()
        self.station.close()
        if self.embedded is not None:
            self.embedded.stop()


def wire(settings, camera_url: str | None = None, scanner_url: str | None = None) -> Wiring:
    """Station, devices (a missing one is None: the window shows it and what to do), central, workers."""
    from drivers import open_camera, open_scanner
    from matching.workers import MatchingWorkers
    from station.embedded_central import EmbeddedCentral, ensure_registered
    from station.station import Station

    station = Station(settings)
    embedded = None
    if settings.central_url:
        if not station.registered:
            from station.keys import RegistrationError

            station.close()
            raise RegistrationError("station.not_registered")
    else:
        embedded = EmbeddedCentral("sqlite:///" + str((station.home / "central.db").resolve()))
        ensure_registered(station, embedded)
    camera = scanner = None
    try:
        camera = open_camera(camera_url or settings.camera_url or DEFAULT_CAMERA)
    except Exception as exc:
        log.warning("camera unavailable: %s", exc)
    try:
        scanner = open_scanner(scanner_url or settings.scanner_url or DEFAULT_SCANNER)
    except Exception as exc:
        log.warning("scanner unavailable: %s", exc)
    return Wiring(station, camera, scanner, MatchingWorkers(1, warm=True), embedded)


def run_window(kind: str, settings, language: str, camera_url: str | None = None,
               scanner_url: str | None = None) -> int:
    """``kind``: console | kiosk | calibration. Returns the exit code."""
    check_display()
    from PySide6.QtWidgets import QApplication

    from calibration.profile import load_profile
    from enrollment.policy import load_policy

    from .i18n import Language

    app = QApplication.instance() or QApplication(sys.argv)
    lang = Language(language)
    wiring = wire(settings, camera_url, scanner_url)
    try:
        if kind == "console":
            from .console import Console

            profile = load_profile(wiring.station.home, wiring.camera.info.device_id) if wiring.camera else None
            window = Console(wiring.station, lang, wiring.camera, wiring.scanner, wiring.workers,
                             load_policy(settings.config_path), profile)
        elif kind == "kiosk":
            from .kiosk import Kiosk

            window = Kiosk(wiring.station, lang, wiring.camera, wiring.scanner, wiring.workers)
            window.showFullScreen()
        else:
            from .calibration_tool import CalibrationTool

            window = CalibrationTool(wiring.station, lang, wiring.camera.info.device_id if wiring.camera else None,
                                     wiring.scanner)
        if kind != "kiosk":
            window.show()
        return app.exec()
    finally:
        wiring.close()
