"""Finding faces: dlib's HOG detector, on a downscaled frame when speed matters.

The live preview detects on a frame scaled to at most ``preview_width`` pixels and
maps the boxes back; a capture is refined at full resolution. For pre-cropped,
centred face images (ISO token images, LFW) a documented fallback supplies the
centre box when the detector finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from domain.errors import BiostationError

from .models import hog_detector
from .parameters import CENTRE_BOX_FRACTION


class FaceImageError(BiostationError, ValueError):
    """An input that cannot be a face photograph (empty, wrong type, unreadable)."""


@dataclass(frozen=True)
class FaceBox:
    left: int
    top: int
    right: int
    bottom: int
    score: float
    source: str = "detector"  # "detector", "second_pass" or "centre_box" (see evaluation.lfw)

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


MIN_SIDE = 32
MAX_SIDE = 8000


def as_rgb(image: np.ndarray) -> np.ndarray:
    """uint8 RGB from gray, BGR or BGRA input; anything else is a clear error."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise FaceImageError("face.empty_image")
    if image.dtype != np.uint8:
        raise FaceImageError("face.bad_dtype", dtype=str(image.dtype))
    if image.ndim == 2:
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.ndim == 3 and image.shape[2] == 3:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        raise FaceImageError("face.bad_shape", shape=str(image.shape))
    h, w = rgb.shape[:2]
    if min(h, w) < MIN_SIDE or max(h, w) > MAX_SIDE:
        raise FaceImageError("face.bad_size", width=w, height=h)
    return np.ascontiguousarray(rgb)


def read_photo(path: str | Path) -> np.ndarray:
    """An RGB photo from a file; a missing, damaged or non-image file is a clear error."""
    data = np.fromfile(str(path), np.uint8) if Path(path).is_file() else np.zeros(0, np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise FaceImageError("face.unreadable", path=str(path))
    return as_rgb(image)


def detect(rgb: np.ndarray, upsample: int = 1, max_width: int | None = None) -> list[FaceBox]:
    """Faces in an RGB image, largest first. ``max_width`` downscales for speed first."""
    scale = 1.0
    work = rgb
    if max_width is not None and rgb.shape[1] > max_width:
        scale = max_width / rgb.shape[1]
        work = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rects, scores, _ = hog_detector().run(work, upsample, 0.0)
    boxes = [
        FaceBox(int(r.left() / scale), int(r.top() / scale), int(r.right() / scale),
                int(r.bottom() / scale), float(s))
        for r, s in zip(rects, scores, strict=True)
    ]
    return sorted(boxes, key=lambda b: b.width * b.height, reverse=True)


def centre_box(rgb: np.ndarray, fraction: float = CENTRE_BOX_FRACTION) -> FaceBox:
    """The box a centred token image (LFW: 250×250, face in the middle) holds its face in."""
    h, w = rgb.shape[:2]
    side = fraction * min(h, w)
    cx, cy = w / 2, h / 2
    return FaceBox(int(cx - side / 2), int(cy - side / 2), int(cx + side / 2), int(cy + side / 2),
                   0.0, source="centre_box")
