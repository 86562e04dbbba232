"""A 0–100 fingerprint image quality score from NFIQ 2-style features.

NFIQ 2 (ISO/IEC 29794-4) feeds some 69 features into a random forest trained on
large operational data. We compute the features of the same families that our
extractor already has at hand and combine them with fixed, documented weights:

- foreground area (NFIQ 2's FingerJetFX ROI): the share of a typical 500-dpi print;
- orientation certainty (OCL): mean coherence of the ridge flow in the foreground;
- local clarity (LCS): how well the Gabor-enhanced ridges explain the raw signal;
- contrast (NFIQ 2's mean and variance features): ridge/valley modulation in grey levels,
  which blur and a dry or faint finger take away;
- frequency domain (FDA-like): how steady the ridge period is across the print;
- ridge–valley uniformity (RVU): how steady the ridge share of each block is;
- minutiae count and quality (NFIQ 2's FJFX minutiae features).

A gate on ridge-flow evidence (orientation certainty and minutiae) keeps noise, a
smudge or a blank sensor near zero however large and even it is. The score ranks
captures (accept, or retry and keep the best) and falls as noise, blur or a partial
placement degrade a print; it is not calibrated to NFIQ 2's scale, and a value here
is not an NFIQ 2 value.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .extractor import Extraction, extract_details
from .image import FingerprintImageError
from .parameters import (
    QUALITY_BLOCK,
    QUALITY_BLOCK_COVERAGE,
    QUALITY_DETREND,
    QUALITY_EVIDENCE_MINUTIAE,
    QUALITY_EVIDENCE_ORIENTATION,
    QUALITY_FULL_COHERENCE,
    QUALITY_FULL_MINUTIAE,
    QUALITY_MIN_AREA,
    QUALITY_PERIOD_SPREAD,
    QUALITY_SHARE_SPREAD,
)
from .parameters import QUALITY_COUNTED_MINUTIA as COUNTED_QUALITY
from .parameters import QUALITY_FULL_CONTRAST as FULL_CONTRAST
from .parameters import QUALITY_TYPICAL_AREA as TYPICAL_AREA
from .parameters import QUALITY_WEIGHTS as WEIGHTS


@dataclass(frozen=True)
class QualityReport:
    score: int  # 0–100
    features: dict[str, float]  # each in [0, 1]


def _blocks(values: np.ndarray, mask: np.ndarray, size: int = QUALITY_BLOCK) -> list[np.ndarray]:
    h, w = values.shape
    out = []
    for y in range(0, h - size + 1, size):
        for x in range(0, w - size + 1, size):
            if mask[y : y + size, x : x + size].mean() > QUALITY_BLOCK_COVERAGE:
                out.append(values[y : y + size, x : x + size])
    return out


def quality_features(d: Extraction) -> dict[str, float]:
    mask = d.mask
    area = float(mask.sum())
    if area < QUALITY_MIN_AREA:
        return dict.fromkeys(WEIGHTS, 0.0)
    f = {"area": min(1.0, area / TYPICAL_AREA)}
    f["orientation"] = float(np.clip(d.coherence[mask].mean() / QUALITY_FULL_COHERENCE, 0, 1))
    raw = (255.0 - d.image.astype(np.float32))
    raw = raw - cv2.blur(raw, (QUALITY_DETREND, QUALITY_DETREND))
    pairs = [(r.reshape(-1), e.reshape(-1)) for r, e in zip(_blocks(raw, mask), _blocks(d.enhanced, mask),
                                                             strict=True)]
    corr = [np.corrcoef(r, e)[0, 1] for r, e in pairs if r.std() > 1e-3 and e.std() > 1e-3]
    f["clarity"] = float(np.clip(np.median(corr), 0, 1)) if corr else 0.0
    f["contrast"] = float(np.clip(raw[mask].std() / FULL_CONTRAST, 0, 1))
    period = d.period[mask]
    f["frequency"] = float(np.clip(1 - period.std() / max(period.mean(), 1e-6) / QUALITY_PERIOD_SPREAD, 0, 1))
    share = [b.mean() for b in _blocks((d.enhanced > 0).astype(np.float32), mask)]
    f["uniformity"] = float(np.clip(1 - np.std(share) / QUALITY_SHARE_SPREAD, 0, 1)) if share else 0.0
    m = d.template.minutiae
    # only minutiae in readable ridge flow count: the Gabor filter draws ridges into noise,
    # and the extractor finds minutiae on them, but of low quality (blurred noise: median 2)
    count = min(1.0, int((m[:, 4] >= COUNTED_QUALITY).sum()) / QUALITY_FULL_MINUTIAE)
    mean_q = float(m[:, 4].mean() / 100) if len(m) else 0.0
    f["minutiae"] = count * (0.5 + 0.5 * mean_q)
    return f


def assess(image: np.ndarray, dpi: float = 500) -> QualityReport:
    """Quality of a fingerprint image; unusable input scores 0 rather than failing."""
    try:
        details = extract_details(image, dpi)
    except FingerprintImageError:
        return QualityReport(0, dict.fromkeys(WEIGHTS, 0.0))
    return report_of(details)


def report_of(details: Extraction) -> QualityReport:
    """Quality from an extraction already made (enrollment extracts once, for both uses)."""
    features = quality_features(details)
    score = sum(WEIGHTS[k] * v for k, v in features.items())
    # area, period and uniformity mean nothing without ridges: gate by ridge-flow evidence
    evidence = (min(1.0, features["orientation"] / QUALITY_EVIDENCE_ORIENTATION)
                * min(1.0, features["minutiae"] / QUALITY_EVIDENCE_MINUTIAE))
    return QualityReport(int(round(100 * score * evidence)), features)
