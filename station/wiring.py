"""Wiring a station for a front-end: the station, its devices, the central record, workers, policy, profile.

Every window (console, kiosk, calibration tool, the screenshot run) starts from one ``Wiring``
and receives what it needs from it instead of opening or loading anything itself. No Qt here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calibration.profile import CameraProfile
    from enrollment.policy import Policy
    from matching.workers import MatchingWorkers

    from .embedded_central import EmbeddedCentral
    from .station import Station

log = logging.getLogger("biostation.wiring")
DEFAULT_CAMERA = "opencv:0"
DEFAULT_SCANNER = "zfm-sim:"  # simulated until a sensor is configured


@dataclass
class Wiring:
    station: Station
    camera: object | None  # a drivers camera; None when it did not open
    scanner: object | None  # a drivers scanner; None when it did not open
    workers: MatchingWorkers | None
    embedded: EmbeddedCentral | None  # the central record in this process when no central URL is configured
    policy: Policy  # the capture policy from the station's settings file
    profile: CameraProfile | None = None  # the camera's calibration profile, when one was saved for it

    def close(self) -> None:
        for device in (self.camera, self.scanner):
            if device is not None:
                try:
                    device.close()
                except Exception:  # closing must not hide the reason the window closed
                    log.debug("device close failed", exc_info=True)
        if self.workers is not None:
            self.workers.close()
        self.station.close()
        if self.embedded is not None:
            self.embedded.stop()


def wire(settings, camera_url: str | None = None, scanner_url: str | None = None) -> Wiring:
    """Station, devices (a missing one is None: the window shows it and what to do), central, workers,
    the capture policy and the camera's calibration profile."""
    from calibration.profile import load_profile
    from drivers import open_camera, open_scanner
    from enrollment.policy import load_policy
    from matching.workers import MatchingWorkers

    from .embedded_central import EmbeddedCentral, ensure_registered
    from .keys import RegistrationError
    from .station import Station

    policy = load_policy(settings.config_path)  # a bad settings file fails before anything is opened
    station = Station(settings)
    embedded = None
    if settings.central_url:
        if not station.registered:
            station.close()
            raise RegistrationError("station.not_registered")
    else:
        try:
            embedded = EmbeddedCentral("sqlite:///" + str((station.home / "central.db").resolve()),
                                       zone=settings.timezone)
            ensure_registered(station, embedded)
        except BaseException:
            if embedded is not None:
                embedded.stop()
            station.close()
            raise
    camera = scanner = None
    try:
        camera = open_camera(camera_url or settings.camera_url or DEFAULT_CAMERA)
    except Exception as exc:
        log.warning("camera unavailable: %s", exc)
    try:
        scanner = open_scanner(scanner_url or settings.scanner_url or DEFAULT_SCANNER)
    except Exception as exc:
        log.warning("scanner unavailable: %s", exc)
    wiring = Wiring(station, camera, scanner, None, embedded, policy)
    try:
        wiring.profile = load_profile(station.home, camera.info.device_id) if camera is not None else None
        wiring.workers = MatchingWorkers(1, warm=True)
    except BaseException:
        wiring.close()  # a broken profile file must not leave the sensor's port or the central's thread open
        raise
    return wiring
