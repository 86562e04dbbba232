"""What a ZFM/R30x sensor delivers: 256×288 pixels at 4 bits per pixel.

The emulator serves images through this, and ``eval --sensor zfm`` runs the real
sets through it, so both see exactly the pixels a real sensor would send.
"""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 256, 288


def zfm_window(height: int, width: int) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the part of a ``height``×``width`` image the sensor sees,
    its centre (all of a side shorter than the sensor's)."""
    y0, x0 = max(0, (height - HEIGHT) // 2), max(0, (width - WIDTH) // 2)
    return x0, y0, x0 + min(width, WIDTH), y0 + min(height, HEIGHT)


def zfm_nibbles(gray: np.ndarray) -> np.ndarray:
    """Centre-crop to 256×288 (pad with white when smaller, never scale), then ``v >> 4``."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("zfm_nibbles needs a 2-D uint8 image")
    out = np.full((HEIGHT, WIDTH), 255, np.uint8)
    x0, y0, x1, y1 = zfm_window(*gray.shape)
    # the window lands centred on the sensor (padded with white where the image is smaller)
    dy, dx = (HEIGHT - (y1 - y0)) // 2, (WIDTH - (x1 - x0)) // 2
    out[dy : dy + y1 - y0, dx : dx + x1 - x0] = gray[y0:y1, x0:x1]
    return out >> 4


def nibbles_to_gray(nibbles: np.ndarray) -> np.ndarray:
    """4-bit values back to 8-bit gray the way pyfingerprint does (``v * 17``)."""
    return (nibbles.astype(np.uint8) & 0x0F) * 17


def zfm_view(gray: np.ndarray) -> np.ndarray:
    """The 8-bit image a station receives from a ZFM sensor for ``gray``."""
    return nibbles_to_gray(zfm_nibbles(gray))
