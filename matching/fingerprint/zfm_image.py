"""What a ZFM/R30x sensor delivers: 256×288 pixels at 4 bits per pixel.

The emulator serves images through this, and ``eval --sensor zfm`` runs the real
sets through it, so both see exactly the pixels a real sensor would send.
"""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 256, 288


def zfm_nibbles(gray: np.ndarray) -> np.ndarray:
    """Centre-crop to 256×288 (pad with white when smaller, never scale), then ``v >> 4``."""
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("zfm_nibbles needs a 2-D uint8 image")
    out = np.full((HEIGHT, WIDTH), 255, np.uint8)
    h, w = gray.shape
    # source window (centre crop) and destination window (centre pad)
    sy, sx = max(0, (h - HEIGHT) // 2), max(0, (w - WIDTH) // 2)
    dy, dx = max(0, (HEIGHT - h) // 2), max(0, (WIDTH - w) // 2)
    ch, cw = min(h, HEIGHT), min(w, WIDTH)
    out[dy : dy + ch, dx : dx + cw] = gray[sy : sy + ch, sx : sx + cw]
    return out >> 4


def nibbles_to_gray(nibbles: np.ndarray) -> np.ndarray:
    """4-bit values back to 8-bit gray the way pyfingerprint does (``v * 17``)."""
    return (nibbles.astype(np.uint8) & 0x0F) * 17


def zfm_view(gray: np.ndarray) -> np.ndarray:
    """The 8-bit image a station receives from a ZFM sensor for ``gray``."""
    return nibbles_to_gray(zfm_nibbles(gray))
