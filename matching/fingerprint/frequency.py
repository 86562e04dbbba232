"""The local ridge period, from the spectral peak of overlapping blocks."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

from .parameters import DEFAULT_PERIOD, MAX_PERIOD, MIN_PERIOD, PERIOD_SMOOTHING
from .parameters import FREQUENCY_BLOCK as BLOCK
from .parameters import FREQUENCY_STEP as STEP


@cache
def _band_dft() -> tuple[np.ndarray, np.ndarray]:
    """The Hann-windowed DFT's rows for the in-band frequencies of one half-plane, and their radii.

    Only frequencies whose period lies in [MIN_PERIOD, MAX_PERIOD] can be a ridge peak.
    A block is real, so the power at -f equals the power at f, and no in-band frequency
    is its own mirror: half the band holds every distinct power once, and the DFT at
    those frequencies (58 for periods of 5–15 px), one matrix product for all blocks,
    costs a fraction of a full 32×32 FFT of each (docs/decisions.md, "a faster extractor with
    the same templates; parameters measured again").
    """
    f = np.fft.fftfreq(BLOCK)
    fy, fx = np.meshgrid(f, f, indexing="ij")
    radius = np.hypot(fx, fy)
    band = (radius >= 1 / MAX_PERIOD) & (radius <= 1 / MIN_PERIOD)
    half = (fy > 0) | ((fy == 0) & (fx > 0))
    ky, kx = np.nonzero(band & half)
    y, x = np.mgrid[0:BLOCK, 0:BLOCK]
    phase = 2 * np.pi * (np.outer(y.ravel(), fy[ky, kx]) + np.outer(x.ravel(), fx[ky, kx]))
    window = np.outer(np.hanning(BLOCK), np.hanning(BLOCK)).ravel()[:, None]
    return np.concatenate([np.cos(phase) * window, np.sin(phase) * window], axis=1), radius[ky, kx]


def ridge_period(img: np.ndarray, mask: np.ndarray, default: float = DEFAULT_PERIOD) -> np.ndarray:
    """Per-pixel ridge period (pixels at 500 dpi), smoothed and filled where unsure."""
    f = img.astype(np.float32)
    h, w = f.shape
    if h < BLOCK or w < BLOCK:
        return np.full((h, w), default, np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(f, (BLOCK, BLOCK))[::STEP, ::STEP]
    rows, cols = windows.shape[:2]
    mgrid = cv2.resize(mask.astype(np.uint8), (cols, rows), interpolation=cv2.INTER_NEAREST)
    # a block off the finger has no weight below, whatever its spectrum: only the finger's are
    # transformed (on a print that fills half the frame, half the stage's time)
    on = np.flatnonzero(mgrid.ravel())
    blocks = windows.reshape(-1, BLOCK * BLOCK)[on].astype(np.float64)
    blocks -= blocks.mean(axis=1, keepdims=True)
    dft, radius = _band_dft()
    parts = blocks @ dft
    power = parts[:, : len(radius)] ** 2 + parts[:, len(radius) :] ** 2
    peak = power.argmax(axis=1)
    period = np.full(rows * cols, default)
    period[on] = 1.0 / radius[peak]
    # the peak's share of the whole band's power, both halves of it
    strength = np.zeros(rows * cols)
    strength[on] = power.max(axis=1) / (2 * power.sum(axis=1) + 1e-9)
    grid = period.reshape(rows, cols).astype(np.float32)
    weight = strength.reshape(rows, cols).astype(np.float32)  # 0 off the finger already
    if weight.sum() < 1e-6:
        return np.full((h, w), default, np.float32)
    median = float(np.median(grid[weight > 0]))
    # weighted smoothing; blocks with no confidence take the print's median
    num = cv2.GaussianBlur(grid * weight, (0, 0), PERIOD_SMOOTHING)
    den = cv2.GaussianBlur(weight, (0, 0), PERIOD_SMOOTHING)
    smooth = np.where(den > 1e-3, num / np.maximum(den, 1e-6), median)
    full = cv2.resize(smooth, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(full, MIN_PERIOD, MAX_PERIOD).astype(np.float32)
