"""The local ridge period, from the spectral peak of overlapping blocks."""

from __future__ import annotations

import cv2
import numpy as np

BLOCK = 32
STEP = 16
MIN_PERIOD, MAX_PERIOD = 5.0, 15.0


def ridge_period(img: np.ndarray, mask: np.ndarray, default: float = 9.0) -> np.ndarray:
    """Per-pixel ridge period (pixels at 500 dpi), smoothed and filled where unsure."""
    f = img.astype(np.float32)
    h, w = f.shape
    ys = list(range(0, max(1, h - BLOCK + 1), STEP))
    xs = list(range(0, max(1, w - BLOCK + 1), STEP))
    blocks = np.stack([f[y : y + BLOCK, x : x + BLOCK] for y in ys for x in xs])
    if blocks.shape[1:] != (BLOCK, BLOCK):
        return np.full((h, w), default, np.float32)
    blocks = blocks - blocks.mean(axis=(1, 2), keepdims=True)
    window = np.outer(np.hanning(BLOCK), np.hanning(BLOCK)).astype(np.float32)
    spectrum = np.abs(np.fft.fft2(blocks * window)) ** 2
    fy = np.fft.fftfreq(BLOCK)[:, None]
    fx = np.fft.fftfreq(BLOCK)[None, :]
    radius = np.sqrt(fx**2 + fy**2)
    band = (radius >= 1 / MAX_PERIOD) & (radius <= 1 / MIN_PERIOD)
    spectrum[:, ~band] = 0
    flat = spectrum.reshape(len(blocks), -1)
    peak = flat.argmax(axis=1)
    strength = flat.max(axis=1) / (flat.sum(axis=1) + 1e-9)
    period = 1.0 / np.maximum(radius.reshape(-1)[peak], 1e-6)
    grid = period.reshape(len(ys), len(xs)).astype(np.float32)
    conf = strength.reshape(len(ys), len(xs)).astype(np.float32)
    mgrid = cv2.resize(mask.astype(np.uint8), (len(xs), len(ys)), interpolation=cv2.INTER_NEAREST)
    weight = conf * (mgrid > 0)
    if weight.sum() < 1e-6:
        return np.full((h, w), default, np.float32)
    median = float(np.median(grid[weight > 0]))
    # weighted smoothing; blocks with no confidence take the print's median
    num = cv2.GaussianBlur(grid * weight, (0, 0), 1.5)
    den = cv2.GaussianBlur(weight, (0, 0), 1.5)
    smooth = np.where(den > 1e-3, num / np.maximum(den, 1e-6), median)
    full = cv2.resize(smooth, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(full, MIN_PERIOD, MAX_PERIOD).astype(np.float32)
