"""Where minutiae are looked for: the part of the finger whose ridges can be read.

A minutia found where the ridge flow is unreadable is as likely to be noise as a ridge
ending, so the extractor searches only a region of the foreground. The raw image's ridge
coherence alone draws that region too tightly on dry or blotchy prints: their broken
ridges scatter the gradients although the ridges are still there, and the Gabor filter,
tuned to the flow around them, joins them up again. So the region is the union of what
either image shows clearly: the raw coherence, or the coherence of the enhanced image
(docs/accuracy.md, session 10, has the variants measured on all 22 runs).
"""

from __future__ import annotations

import cv2
import numpy as np

from .orientation import coherence_field

RAW_COHERENCE = 0.25  # blurred coherence of the raw ridge signal
ENHANCED_COHERENCE = 0.7  # blurred coherence of the Gabor-enhanced image
BLUR = 4.0  # px: about half a ridge period, so one scratch does not cut a hole
OPENING = 9  # px: slivers narrower than this hold no trustworthy minutia
# Mean raw coherence over the foreground below which the image shows no ridge flow at all:
# noise has about 0.12, the lowest of the 1,876 real images and ZFM views in
# ../shared/data 0.27. The Gabor filter draws ridges into noise as readily as into a dry
# print, so on such an image there is no region to search.
MIN_PRINT_COHERENCE = 0.2


def minutia_region(mask: np.ndarray, coherence: np.ndarray, enhanced: np.ndarray) -> np.ndarray:
    """The foreground pixels where the ridges are readable in the raw or enhanced image."""
    if not mask.any() or float(coherence[mask].mean()) < MIN_PRINT_COHERENCE:
        return np.zeros_like(mask, dtype=bool)
    raw = cv2.GaussianBlur(coherence, (0, 0), BLUR) > RAW_COHERENCE
    enhanced_coherence = coherence_field(enhanced)
    joined = cv2.GaussianBlur(enhanced_coherence, (0, 0), BLUR) > ENHANCED_COHERENCE
    region = (mask & (raw | joined)).astype(np.uint8)
    return cv2.morphologyEx(region, cv2.MORPH_OPEN, np.ones((OPENING, OPENING), np.uint8)) > 0
