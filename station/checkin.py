"""Check-in: an application number from the QR code of an online registration, or typed.

The kiosk's home screen and the console's lookup read codes the same way, from camera frames
on the camera's thread; a code holds the number alone or a link ending in it.
"""

from __future__ import annotations

import cv2
import numpy as np

from domain.applications import number_from_scan


class QrReader:
    """Frames in, an application number out once a code is seen (one reader per camera thread)."""

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def __call__(self, bgr: np.ndarray, _t: float = 0.0) -> str | None:
        text, _points, _ = self._detector.detectAndDecode(bgr)
        return number_from_scan(text) if text else None
