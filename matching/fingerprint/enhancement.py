"""Contextual filtering: each pixel is filtered by the Gabor kernel tuned to its ridges."""

from __future__ import annotations

from functools import cache
from itertools import pairwise, product

import cv2
import numpy as np

from .parameters import GABOR_ALONG as ALONG
from .parameters import GABOR_EXTENT, GABOR_SIGMA, NORMALIZE_WINDOW, PERIOD_STEP
from .parameters import GABOR_ORIENTATIONS as N_ORIENTATIONS
from .parameters import GABOR_TILE as TILE


@cache
def gabor_kernel(orientation_bin: int, period: float) -> np.ndarray:
    theta = np.pi * orientation_bin / N_ORIENTATIONS
    sigma = GABOR_SIGMA * period
    half = int(np.ceil(GABOR_EXTENT * sigma))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    across = -x * np.sin(theta) + y * np.cos(theta)  # distance across the ridges
    along = x * np.cos(theta) + y * np.sin(theta)
    k = np.exp(-(across**2) / (2 * sigma**2) - along**2 / (2 * (ALONG * sigma) ** 2))
    k *= np.cos(2 * np.pi * across / period)
    k -= k.mean()
    return (k / np.abs(k).sum()).astype(np.float32)


def normalize(img: np.ndarray, mask: np.ndarray, size: int = NORMALIZE_WINDOW) -> np.ndarray:
    """Zero-mean, unit-variance ridge signal with ridges positive (they are dark)."""
    f = 255.0 - img.astype(np.float32)
    mean = cv2.blur(f, (size, size))
    sq = cv2.blur(f * f, (size, size))
    std = np.sqrt(np.maximum(sq - mean * mean, 1.0))
    return np.where(mask, (f - mean) / std, 0).astype(np.float32)


def gabor_enhance(signal: np.ndarray, theta: np.ndarray, period: np.ndarray,
                  mask: np.ndarray) -> np.ndarray:
    """Filter with one kernel per (orientation, period) bin present, pick per pixel.

    One bin's pixels follow a band of like ridges that can wind across the whole print,
    and filtering that band's bounding box costs most of the print for each of some
    fifty bins; so the image is taken a tile at a time. A pixel's value depends only on
    the signal within the kernel's reach, which each padded box holds, so the result is
    the same whatever the tiling (docs/decisions.md, "a faster extractor with the same
    templates; parameters measured again").
    """
    obins = np.round(theta / np.pi * N_ORIENTATIONS).astype(np.int32) % N_ORIENTATIONS
    pbins = np.round(period / PERIOD_STEP).astype(np.int32)
    out = np.zeros_like(signal)
    key = np.where(mask, obins * 100 + pbins, -1)
    h, w = signal.shape
    for ty, tx in product(range(0, h, TILE), range(0, w, TILE)):
        tile = key[ty : ty + TILE, tx : tx + TILE]
        # the tile's pixels grouped by bin with one sort, rather than one comparison of
        # the whole tile per bin (a fifth of the filter's time on prints of many bins)
        flat = tile.ravel()
        order = np.argsort(flat, kind="stable")
        grouped = flat[order]
        first = int(np.searchsorted(grouped, 0))  # past the background (-1)
        if first == len(flat):
            continue  # no finger in this tile
        bounds = [first, *(first + 1 + np.flatnonzero(np.diff(grouped[first:]))).tolist(), len(flat)]
        for start, stop in pairwise(bounds):
            k = int(grouped[start])
            ys, xs = np.divmod(order[start:stop], tile.shape[1])
            ys, xs = ys + ty, xs + tx
            o, p = divmod(k, 100)
            kernel = gabor_kernel(o, p * PERIOD_STEP)
            pad = kernel.shape[0] // 2
            ya, yb = max(0, ys.min() - pad), min(h, ys.max() + 1 + pad)
            xa, xb = max(0, xs.min() - pad), min(w, xs.max() + 1 + pad)
            filtered = cv2.filter2D(signal[ya:yb, xa:xb], cv2.CV_32F, kernel,
                                    borderType=cv2.BORDER_REFLECT)
            out[ys, xs] = filtered[ys - ya, xs - xa]
    return out
