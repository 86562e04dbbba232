"""Devices behind small interfaces, opened from URLs: cameras, the ZFM sensor, its emulator.

``open_camera("opencv:0" | "file:PATH")`` and ``open_scanner("zfm:/dev/ttyUSB0" | "zfm-sim:DIR")``
(``registry``, with ``urls`` parsing them) give a ``Camera`` (``camera``) or a ``Scanner``
(``scanner``: the protocol every sensor meets). ``zfm/`` holds the sensor's packet format
(``protocol``), the driver over the unmodified pyfingerprint client (``driver``), and the
emulator that speaks the same protocol on a pseudo-terminal (``emulator``, ``pty_link``,
``applicant``, ``fingers``, ``features``). Every failure is a ``DeviceError`` (``errors``) that
says what to do; no serial exception reaches a caller.
"""

from .camera import Camera, Frame
from .errors import DeviceError
from .registry import open_camera, open_scanner
from .scanner import DeviceInfo, FingerImage, FingerPosition, Scanner

__all__ = [
    "Camera", "DeviceError", "DeviceInfo", "FingerImage", "FingerPosition", "Frame", "Scanner",
    "open_camera", "open_scanner",
]
