"""Where minutiae are looked for: the part of the finger whose ridges can be read.

A minutia found where the ridge flow is unreadable is as likely to be noise as a ridge
ending, so the extractor searches only a region of the foreground. The raw image's ridge
coherence alone draws that region too tightly on dry or blotchy prints: their broken
ridges scatter the gradients although the ridges are still there, and the Gabor filter,
tuned to the flow around them, joins them up again. So the region is the union of what
either image shows clearly: the raw coherence, or the coherence of the enhanced image
(docs/decisions.md, "where minutiae are looked for", has the variants measured on all 22 runs).
"""

from __future__ import annotations

import cv2
import numpy as np

from .orientation import coherence_field
from .parameters import ENHANCED_COHERENCE, MIN_PRINT_COHERENCE, RAW_COHERENCE
from .parameters import REGION_BLUR as BLUR
from .parameters import REGION_OPENING as OPENING


def minutia_region(mask: np.ndarray, coherence: np.ndarray, enhanced: np.ndarray) -> np.ndarray:
    """The foreground pixels where the ridges are readable in the raw or enhanced image.

    An image whose mean raw coherence over the foreground is below ``MIN_PRINT_COHERENCE``
    shows no ridge flow at all and has no region: the Gabor filter draws ridges into noise as
    readily as into a dry print.
    """
    if not mask.any() or float(coherence[mask].mean()) < MIN_PRINT_COHERENCE:
        return np.zeros_like(mask, dtype=bool)
    raw = cv2.GaussianBlur(coherence, (0, 0), BLUR) > RAW_COHERENCE
    enhanced_coherence = coherence_field(enhanced)
    joined = cv2.GaussianBlur(enhanced_coherence, (0, 0), BLUR) > ENHANCED_COHERENCE
    region = (mask & (raw | joined)).astype(np.uint8)
    return cv2.morphologyEx(region, cv2.MORPH_OPEN, np.ones((OPENING, OPENING), np.uint8)) > 0
