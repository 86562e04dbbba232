"""Turning whatever a caller hands us into a 500-dpi grayscale fingerprint image.

Every later stage assumes 8-bit gray at 500 dpi with dark ridges; this is the
one place that checks and converts, so bad input fails here with a clear reason.
"""

from __future__ import annotations

import cv2
import numpy as np

from domain.errors import BiostationError

TARGET_DPI = 500
MIN_SIDE = 64  # pixels at 500 dpi: smaller than this holds no usable print
MAX_SIDE = 4000


class FingerprintImageError(BiostationError, ValueError):
    """An input that cannot be a fingerprint image (empty, wrong type, wrong size)."""


def as_gray_500dpi(image: np.ndarray, dpi: float = TARGET_DPI) -> np.ndarray:
    """Validate and convert to uint8 gray at 500 dpi."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise FingerprintImageError("fingerprint.empty_image")
    if image.ndim == 3 and image.shape[2] in (3, 4):
        image = cv2.cvtColor(image[..., :3].astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if image.ndim != 2:
        raise FingerprintImageError("fingerprint.bad_shape", shape=str(image.shape))
    if image.dtype == np.bool_:
        image = np.where(image, 0, 255).astype(np.uint8)
    elif image.dtype != np.uint8:
        if not np.issubdtype(image.dtype, np.number):
            raise FingerprintImageError("fingerprint.bad_dtype", dtype=str(image.dtype))
        data = image.astype(np.float64)
        if not np.isfinite(data).all():
            raise FingerprintImageError("fingerprint.bad_dtype", dtype=str(image.dtype))
        lo, hi = float(data.min()), float(data.max())
        scale = 255.0 / (hi - lo) if hi > lo else 0.0
        image = ((data - lo) * scale).astype(np.uint8)
    if not (100 <= dpi <= 2000):
        raise FingerprintImageError("fingerprint.bad_dpi", dpi=dpi)
    if abs(dpi - TARGET_DPI) > 1:
        f = TARGET_DPI / dpi
        method = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, None, fx=f, fy=f, interpolation=method)
    h, w = image.shape
    if min(h, w) < MIN_SIDE or max(h, w) > MAX_SIDE:
        raise FingerprintImageError("fingerprint.bad_size", width=w, height=h)
    return image
