"""Devices behind small interfaces, opened from URLs: cameras, the ZFM sensor, its emulator."""

from .camera import Camera, Frame
from .errors import DeviceError
from .registry import open_camera, open_scanner
from .scanner import DeviceInfo, FingerImage, FingerPosition, Scanner

__all__ = [
    "Camera", "DeviceError", "DeviceInfo", "FingerImage", "FingerPosition", "Frame", "Scanner",
    "open_camera", "open_scanner",
]
