"""A real portrait for demos, screenshots and tests: scikit-image's astronaut, posed like a counter photo.

scikit-image is a development dependency; callers that must work without it catch the
ImportError (the screenshots fall back to a plain frame).
"""

from __future__ import annotations

import cv2
import numpy as np

from .detection import as_rgb, detect
from .embedding import landmarks


def astronaut() -> np.ndarray:
    from skimage import data

    return as_rgb(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))


def face_of(rgb: np.ndarray):
    """The most confident face's box and its 68 landmarks."""
    box = max(detect(rgb), key=lambda b: b.score)
    return box, landmarks(rgb, box)


def studio(rgb: np.ndarray) -> np.ndarray:
    """The portrait enlarged, centred, on a plain grey background (640×800 RGB): one face, counter-like."""
    _box, lm = face_of(rgb)
    big = cv2.resize(rgb, None, fx=2.4, fy=2.4, interpolation=cv2.INTER_CUBIC)
    cx, cy = lm[27:31].mean(axis=0) * 2.4
    x0, y0 = int(cx - 320), int(cy - 380)
    out = np.full((800, 640, 3), 200, np.uint8)
    region = big[max(0, y0) : y0 + 800, max(0, x0) : x0 + 640]
    out[: region.shape[0], : region.shape[1]] = region
    mask = np.zeros((800, 640), np.uint8)
    cv2.ellipse(mask, (320, 360), (250, 330), 0, 0, 360, 1, -1)
    out[mask == 0] = 200
    return out
