"""What a ZFM/R30x sensor delivers: 256×288 pixels at 500 dpi, 4 bits per pixel.

The **ZFM view** (DESIGN.md, "The ZFM sensor and its emulator") is made here and nowhere
else: the emulator serves every image through ``zfm_nibbles`` and ``eval --sensor zfm`` (with
the NBIS baseline and the quality study) scores ``zfm_view``, so both see exactly the pixels a
real sensor would send for the same file at the same resolution.

The window is centred on the print, not on the image: a finger is laid on the middle of the
sensor's glass, wherever it lay on the larger sensor that took the file. Centring on the image
instead left some genuine pairs of FVC2002_DB2 sharing almost none of their print
(``matching.evaluation.zfm_overlap``), which no matcher can match.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .image import TARGET_DPI
from .segmentation import foreground_mask

WIDTH, HEIGHT = 256, 288


def at_sensor_dpi(gray: np.ndarray, dpi: float) -> np.ndarray:
    """``gray`` resampled from ``dpi`` to the sensor's 500 dpi.

    INTER_AREA when shrinking: it averages every source pixel into the smaller one, where
    linear or cubic would sample and alias the ridges (about 9 px a period at 500 dpi).
    INTER_CUBIC when enlarging (FVC2002_DB2 is 569 dpi, FVC2004_DB3 512: both shrink, so today
    this only meets files below 500 dpi): it keeps ridge edges sharper than linear, and it is
    what the extractor's ``image.as_gray_500dpi`` does, with the same tolerance of 1 dpi, so the
    foreground the view is centred on is exactly the foreground the extractor finds on the
    whole file (``zfm_overlap`` relies on that). OpenCV saturates cubic's overshoot at 0 and 255.
    """
    if abs(dpi - TARGET_DPI) <= 1:
        return gray
    f = TARGET_DPI / dpi
    return cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def print_centre(mask: np.ndarray) -> tuple[float, float]:
    """``(x, y)``: the centroid of the foreground ``mask``; the image's centre when it has none
    (a blank frame, a print too faint to find), where the old centre crop put the window."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        h, w = mask.shape
        return w / 2, h / 2
    return float(xs.mean()), float(ys.mean())


def _origin(centre: float, side: int, window: int) -> int:
    """The window's first pixel on one axis: centred on ``centre``, then kept inside the image where
    the image is the longer, and the image kept inside the window where the window is (it is
    padded there, never cut: the print stays as close to the middle as the whole image allows)."""
    start = math.floor(centre - window / 2 + 0.5)
    low, high = sorted((0, side - window))
    return min(max(start, low), high)


def zfm_window(height: int, width: int, centre: tuple[float, float] | None = None) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the sensor's 256×288 window over a ``height``×``width`` image at
    500 dpi, centred on ``centre`` (x, y; the image's centre when None). Where the image is
    smaller than the window the window reaches past it (x0 or y0 negative, x1 or y1 beyond
    the image): that part is white."""
    cx, cy = centre if centre is not None else (width / 2, height / 2)
    x0, y0 = _origin(cx, width, WIDTH), _origin(cy, height, HEIGHT)
    return x0, y0, x0 + WIDTH, y0 + HEIGHT


def print_window(gray500: np.ndarray) -> tuple[int, int, int, int]:
    """The window the sensor sees of a 500-dpi image: centred on the print the project's
    segmentation finds (the extractor's own ``foreground_mask``)."""
    return zfm_window(*gray500.shape, print_centre(foreground_mask(gray500)))


def crop_window(image: np.ndarray, window: tuple[int, int, int, int], fill: int | bool) -> np.ndarray:
    """``image``'s pixels inside ``window``, ``fill`` where the window reaches past the image."""
    x0, y0, x1, y1 = window
    h, w = image.shape
    out = np.full((y1 - y0, x1 - x0), fill, image.dtype)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return out


def zfm_nibbles(gray: np.ndarray, dpi: float) -> np.ndarray:
    """The ZFM view of ``gray`` (taken at ``dpi``) as the sensor's 4-bit values (``v >> 4``):
    resampled to 500 dpi, the 256×288 window centred on the print, white past the image."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("zfm_nibbles needs a 2-D uint8 image")
    gray500 = at_sensor_dpi(gray, dpi)
    return crop_window(gray500, print_window(gray500), 255) >> 4


def nibbles_to_gray(nibbles: np.ndarray) -> np.ndarray:
    """4-bit values back to 8-bit gray the way pyfingerprint does (``v * 17``)."""
    return (nibbles.astype(np.uint8) & 0x0F) * 17


def zfm_view(gray: np.ndarray, dpi: float) -> np.ndarray:
    """The 8-bit image (at 500 dpi) a station receives from a ZFM sensor for ``gray`` at ``dpi``."""
    return nibbles_to_gray(zfm_nibbles(gray, dpi))
