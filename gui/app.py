"""Starting the windows: a display check first, then the station wired (``station.wiring``), then Qt.

``QApplication`` aborts the whole process (no exception to catch) when there is no display
or when Qt's system libraries such as ``libxcb-cursor0`` are missing, so a child process
tries first and the station says plainly what is wrong and what to do instead.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from domain.errors import BiostationError

log = logging.getLogger("biostation.gui")
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


def run_window(kind: str, settings, language: str, camera_url: str | None = None,
               scanner_url: str | None = None, demo: bool = False) -> int:
    """``kind``: console | kiosk | calibration. Returns the exit code.

    ``demo``: book today's sample appointments in the embedded central record first, so a
    newcomer finds applicants in the queue (``station.demo``).
    """
    check_display()
    from PySide6.QtWidgets import QApplication

    from station.wiring import wire

    from .i18n import Language

    app = QApplication.instance() or QApplication(sys.argv)
    lang = Language(language)
    wiring = wire(settings, camera_url, scanner_url)
    try:
        if demo:
            from station.demo import add_demo_appointments

            if wiring.embedded is None:
                log.warning("--demo books sample appointments in the embedded central record only; "
                            "this station uses %s", settings.central_url)
            else:
                add_demo_appointments(wiring.embedded, settings.timezone)
        if kind == "console":
            from .console import Console

            hint = ""
            if wiring.embedded is not None:
                from station.demo import embedded_office

                hint = embedded_office(wiring.embedded)
            window = Console(wiring.station, lang, wiring.camera, wiring.scanner, wiring.workers,
                             wiring.policy, wiring.profile, office_hint=hint)
        elif kind == "kiosk":
            from .kiosk import Kiosk

            window = Kiosk(wiring.station, lang, wiring.camera, wiring.scanner, wiring.workers,
                           policy=wiring.policy)
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
