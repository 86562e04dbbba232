"""Image to template, as a pipeline of small stages (after SourceAFIS's layout).

segment → normalise → orientation → ridge period → Gabor enhancement → minutia region →
binarise → thin → drop staircases → crossing-number minutiae → remove false minutiae →
minutia quality; the orientation field is also kept, coarsely, as the template's ridge flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .enhancement import gabor_enhance, normalize
from .frequency import ridge_period
from .image import TARGET_DPI, as_gray_500dpi
from .minutia_region import minutia_region
from .minutiae import drop_staircases, minutiae_from_skeleton, remove_false_minutiae, thin
from .orientation import orientation_field, smooth_orientation
from .parameters import MINUTIA_QUALITY_DEPTH, ORIENTATION_SMOOTHING
from .ridge_flow import ridge_flow
from .segmentation import foreground_mask
from .template import Template


@dataclass(frozen=True)
class Extraction:
    """Everything the stages computed, for quality measures, plots and debugging."""

    template: Template
    image: np.ndarray
    mask: np.ndarray
    orientation: np.ndarray
    coherence: np.ndarray
    period: np.ndarray
    enhanced: np.ndarray
    skeleton: np.ndarray


def extract_details(image: np.ndarray, dpi: float = TARGET_DPI) -> Extraction:
    gray = as_gray_500dpi(image, dpi)
    h, w = gray.shape
    mask = foreground_mask(gray)
    signal = normalize(gray, mask)
    theta, coherence = orientation_field(signal)
    theta = smooth_orientation(theta, ORIENTATION_SMOOTHING)
    period = ridge_period(signal, mask)
    enhanced = gabor_enhance(signal, theta, period, mask)
    usable = minutia_region(mask, coherence, enhanced)
    binary = (enhanced > 0) & usable
    skeleton = drop_staircases(thin(binary))
    raw, lengths = minutiae_from_skeleton(skeleton, usable, theta)
    # the edge filter measures from the finger's edge, not the minutia region's: that keeps the
    # minutiae next to unreadable patches, which measured better (docs/decisions.md, "where
    # minutiae are looked for")
    kept = remove_false_minutiae(raw, lengths, mask)
    if len(kept):
        xi, yi = kept[:, 0].astype(int), kept[:, 1].astype(int)
        dist = cv2.distanceTransform(np.pad(usable.astype(np.uint8), 1), cv2.DIST_L2, 5)[1:-1, 1:-1]
        q = np.clip(coherence[yi, xi], 0, 1) * np.clip(dist[yi, xi] / MINUTIA_QUALITY_DEPTH, 0, 1)
        quality = np.clip(np.round(100 * q), 1, 100)
        rows = np.column_stack([kept[:, :4], quality])
    else:
        rows = np.zeros((0, 5))
    template = Template(width=w, height=h, minutiae=rows, flow=ridge_flow(theta, coherence, mask))
    return Extraction(template, gray, mask, theta, coherence, period, enhanced, skeleton)


def extract(image: np.ndarray, dpi: float = TARGET_DPI) -> Template:
    """The minutiae template of one fingerprint image."""
    return extract_details(image, dpi).template
