"""Contextual filtering: each pixel is filtered by the Gabor kernel tuned to its ridges."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np

N_ORIENTATIONS = 16
PERIOD_STEP = 1.5
ALONG = 0.7  # along-ridge extent of the kernel, in units of the across-ridge sigma


@cache
def gabor_kernel(orientation_bin: int, period: float) -> np.ndarray:
    theta = np.pi * orientation_bin / N_ORIENTATIONS
    sigma = 0.5 * period
    half = int(np.ceil(2.5 * sigma))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    across = -x * np.sin(theta) + y * np.cos(theta)  # distance across the ridges
    along = x * np.cos(theta) + y * np.sin(theta)
    k = np.exp(-(across**2) / (2 * sigma**2) - along**2 / (2 * (ALONG * sigma) ** 2))
    k *= np.cos(2 * np.pi * across / period)
    k -= k.mean()
    return (k / np.abs(k).sum()).astype(np.float32)


def normalize(img: np.ndarray, mask: np.ndarray, size: int = 25) -> np.ndarray:
    """Zero-mean, unit-variance ridge signal with ridges positive (they are dark)."""
    f = 255.0 - img.astype(np.float32)
    mean = cv2.blur(f, (size, size))
    sq = cv2.blur(f * f, (size, size))
    std = np.sqrt(np.maximum(sq - mean * mean, 1.0))
    return np.where(mask, (f - mean) / std, 0).astype(np.float32)


def gabor_enhance(signal: np.ndarray, theta: np.ndarray, period: np.ndarray,
                  mask: np.ndarray) -> np.ndarray:
    """Filter with one kernel per (orientation, period) bin present, pick per pixel."""
    obins = np.round(theta / np.pi * N_ORIENTATIONS).astype(np.int32) % N_ORIENTATIONS
    pbins = np.round(period / PERIOD_STEP).astype(np.int32)
    out = np.zeros_like(signal)
    key = np.where(mask, obins * 100 + pbins, -1)
    for k in np.unique(key[mask]) if mask.any() else []:
        sel = key == k
        o, p = divmod(int(k), 100)
        kernel = gabor_kernel(o, p * PERIOD_STEP)
        ys, xs = np.nonzero(sel)
        y0, y1 = ys.min(), ys.max() + 1
        x0, x1 = xs.min(), xs.max() + 1
        pad = kernel.shape[0] // 2
        ya, yb = max(0, y0 - pad), min(signal.shape[0], y1 + pad)
        xa, xb = max(0, x0 - pad), min(signal.shape[1], x1 + pad)
        filtered = cv2.filter2D(signal[ya:yb, xa:xb], cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT)
        out[ys, xs] = filtered[ys - ya, xs - xa]
    return out
