"""Face photos for tests, built from scikit-image's astronaut (a real portrait a dev dependency ships)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage import data

from matching.face.detection import as_rgb, detect
from matching.face.embedding import landmarks


def astronaut() -> np.ndarray:
    return as_rgb(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))


def face_of(rgb: np.ndarray):
    box = max(detect(rgb), key=lambda b: b.score)
    return box, landmarks(rgb, box)


def studio(rgb: np.ndarray) -> np.ndarray:
    """The astronaut enlarged, centred, on a plain grey background (640×800 RGB)."""
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


def camera_folder(folder: Path, rgb: np.ndarray) -> Path:
    """A folder a ``file:`` camera plays: the one photo, as the camera would see it."""
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "frame.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder
