"""Opening devices by URL, as pyserial's ``serial_for_url`` does for ports.

A real device, a file-backed one and the emulator are one code path above this:
the caller gets a ``Camera`` or a ``Scanner`` and never asks which.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .camera import Camera, FileCamera, OpenCVCamera
from .errors import DeviceNotFound, UnknownDeviceURL
from .scanner import Scanner
from .urls import DeviceURL, parse_device_url
from .zfm import protocol as p

CAMERA_SCHEMES = ("opencv", "file")
SCANNER_SCHEMES = ("zfm", "zfm-sim")


def open_camera(url: str) -> Camera:
    """``opencv:0``, ``opencv:/dev/video2``, ``file:PATH`` (a video or a folder of images)."""
    u = parse_device_url(url, CAMERA_SCHEMES)
    if u.scheme == "opencv":
        source: int | str = int(u.path) if u.path.isdigit() else u.path
        if isinstance(source, str) and not Path(source).exists():
            raise DeviceNotFound("camera.not_found", url=url)
        return OpenCVCamera(source, url, u.int_param("width", 640), u.int_param("height", 480))
    fps = float(u.query["fps"]) if "fps" in u.query else None
    return FileCamera(Path(u.path).expanduser(), url, fps)


def _zfm_options(u: DeviceURL) -> dict:
    return {
        "baud": u.int_param("baud", 57600),
        "address": u.int_param("address", p.DEFAULT_ADDRESS),
        "password": u.int_param("password", 0),
    }


def _fault_options(u: DeviceURL) -> dict:
    """``faults=noise,drop,checksum,silence&fault_rate=R&seed=S``: the emulator's own fault injection, as
    ``biostation emulate zfm --faults --fault-rate --seed`` sets it, so a headless enrollment can be run
    against a sensor on a bad cable. R is the chance that each packet the sensor sends is damaged (an
    image upload is some 290 packets)."""
    from .zfm.emulator import FAULT_KINDS

    faults = tuple(k for k in u.query.get("faults", "").split(",") if k)
    if set(faults) - set(FAULT_KINDS):
        raise UnknownDeviceURL("device.bad_parameter", url=u.text, name="faults", value=u.query["faults"])
    raw = u.query.get("fault_rate", "0")
    try:
        rate = float(raw)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise UnknownDeviceURL("device.bad_parameter", url=u.text, name="fault_rate", value=raw)
    return {"faults": faults, "fault_rate": rate, "seed": u.int_param("seed", 0) if "seed" in u.query else None}


class SimulatedScanner:
    """The emulator on an in-process pseudo-terminal, driven through the real ZFM driver."""

    def __init__(self, u: DeviceURL) -> None:
        from matching.fingerprint.synth import write_synthetic_fingers

        from .zfm.applicant import SimulatedApplicant
        from .zfm.driver import ZfmScanner
        from .zfm.emulator import ZfmEmulator
        from .zfm.fingers import load_finger_set
        from .zfm.pty_link import PtyLink

        self._tmp: Path | None = None
        folder = Path(u.path).expanduser() if u.path else None
        if folder is None:
            self._tmp = Path(tempfile.mkdtemp(prefix="zfm-sim-"))
            folder = self._tmp / "fingers"
            write_synthetic_fingers(folder, u.int_param("synthetic", 10), 8, seed=u.int_param("seed", 0))
        fingers = load_finger_set(folder)
        library = u.query.get("library")
        faults = _fault_options(u)
        # faults start once the driver is connected: opening the sensor is then no matter of luck, and
        # a seed replays the same faults in the same captures (no fault, no draw from the seeded generator)
        self.emulator = ZfmEmulator(fingers, Path(library) if library else None, seed=faults.pop("seed"))
        self.link = PtyLink(self.emulator, pace="baud" in u.query)
        self.applicant = SimulatedApplicant(self.emulator, first=u.int_param("first", 1))
        try:
            opts = _zfm_options(u)
            self.emulator.store.settings.baud_multiplier = opts["baud"] // 9600
            self._scanner = ZfmScanner(self.link.port, url=u.text, emulated=True,
                                       presenter=self.applicant, prefer_baud=None, **opts)
        except BaseException:
            self.link.close()
            raise
        self.info = self._scanner.info
        self.emulator.faults, self.emulator.fault_rate = faults["faults"], faults["fault_rate"]

    def __getattr__(self, name: str):
        return getattr(self._scanner, name)

    def close(self) -> None:
        self._scanner.close()
        self.link.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> SimulatedScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_scanner(url: str) -> Scanner:
    """``zfm:/dev/ttyUSB0?baud=57600&address=0xFFFFFFFF&password=0`` or ``zfm-sim:DIR[?first=K]``
    (and ``&faults=KINDS&fault_rate=R&seed=S`` for a misbehaving emulator)."""
    u = parse_device_url(url, SCANNER_SCHEMES)
    if u.scheme == "zfm-sim":
        return SimulatedScanner(u)  # type: ignore[return-value]
    from .zfm.driver import ZfmScanner

    if not u.path:
        raise DeviceNotFound("sensor.no_port", url=url)
    return ZfmScanner(u.path, url=url, **_zfm_options(u))
