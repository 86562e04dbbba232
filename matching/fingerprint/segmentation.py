"""Where the finger is: a foreground mask from local contrast, cleaned morphologically."""

from __future__ import annotations

import cv2
import numpy as np


def local_stats(img: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    mean = cv2.boxFilter(img, cv2.CV_32F, (size, size), borderType=cv2.BORDER_REFLECT)
    sq = cv2.boxFilter(img * img, cv2.CV_32F, (size, size), borderType=cv2.BORDER_REFLECT)
    return mean, np.sqrt(np.maximum(sq - mean * mean, 0))


def foreground_mask(img: np.ndarray, block: int = 17) -> np.ndarray:
    """A pixel is foreground when its neighbourhood has ridge-like contrast."""
    f = img.astype(np.float32) / 255.0
    _, std = local_stats(f, block)
    level = max(0.04, 0.35 * float(np.percentile(std, 95)))
    mask = (std > level).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15))
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
