"""Where the finger is: a foreground mask from local contrast, cleaned morphologically."""

from __future__ import annotations

import cv2
import numpy as np

from .parameters import (
    SEGMENTATION_BLOCK,
    SEGMENTATION_CLEANING,
    SEGMENTATION_HIGH_PASS,
    SEGMENTATION_LEVEL,
    SEGMENTATION_MIN_LEVEL,
    SEGMENTATION_STRETCH,
    SEGMENTATION_TYPICAL,
)


def local_stats(img: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    mean = cv2.boxFilter(img, cv2.CV_32F, (size, size), borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(img * img, cv2.CV_32F, (size, size), borderType=cv2.BORDER_REFLECT)
    return mean, np.sqrt(np.maximum(sq - mean * mean, 0))


def foreground_mask(img: np.ndarray, block: int = SEGMENTATION_BLOCK) -> np.ndarray:
    """A pixel is foreground when its neighbourhood has ridge-like contrast.

    Contrast is measured on a band-pass of the contrast-stretched image, relative to
    the print's own typical contrast, so faint prints (dry fingers, light pressure) are
    found as well as dark ones, and a few dark blots do not raise the bar.
    """
    f = img.astype(np.float32)
    lo, hi = np.percentile(f, SEGMENTATION_STRETCH)
    f = np.clip((f - lo) / max(hi - lo, 1.0), 0, 1)
    band = f - cv2.GaussianBlur(f, (0, 0), SEGMENTATION_HIGH_PASS)
    _, std = local_stats(band, block)
    level = max(SEGMENTATION_MIN_LEVEL, SEGMENTATION_LEVEL * float(np.percentile(std, SEGMENTATION_TYPICAL)))
    mask = (std > level).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (SEGMENTATION_CLEANING, SEGMENTATION_CLEANING))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, k)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, k)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return np.zeros_like(mask, dtype=bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = (labels == largest).astype(np.uint8)
    # fill holes: whatever the background flood fill cannot reach is inside the finger
    h, w = mask.shape
    flood = np.pad(1 - mask, 1, constant_values=1).astype(np.uint8)
    cv2.floodFill(flood, None, (0, 0), 2)
    holes = flood[1:-1, 1:-1] == 1
    return (mask > 0) | holes
