"""NFIQ 2 (ISO/IEC 29794-4): the finger image quality score offices and device specifications use.

``nfiq2(image, dpi)`` scores a grayscale image held in memory with NIST's NFIQ 2 through
``nbis-py`` (about 80–110 ms an image on one core). The image never touches the disk: it is
encoded to PNG in memory and handed to the library as bytes (``extract_minutiae``), so no
biometric data is left in a temporary file.

NFIQ 2 is defined for 500-ppi plain impressions; other resolutions are resampled to 500 dpi
first, the way the rest of the fingerprint core does (``image.as_gray_500dpi``). An image that
cannot be scored (empty, blank, too small, a resolution outside 100–2000 dpi, or one the library
refuses) gives score 0 with ``reason`` set to the catalog id of why; this never raises.

The feedback codes are NFIQ 2's actionable feedback with its own thresholds
(``ActionableQualityFeedbackThreshold`` in NFIQ 2's interface definitions), plus one of ours:

- ``uniform``: the grey levels hardly vary (standard deviation < 1): nothing on the sensor;
- ``too_light``: mean grey above 250 (NFIQ 2's ``EmptyImageOrContrastTooLow``): an empty or
  very faint (dry, light touch) print; also (ours) an image NFIQ 2 refuses with a mean above
  ``FAINT_MEAN``;
- ``too_dark``: mean grey below ``TOO_DARK_MEAN`` (ours; NFIQ 2 has no such feedback): a wet
  finger or one pressed too hard, ridges run together;
- ``too_few_minutiae``: fewer than 5 minutiae (NFIQ 2's ``FingerprintImageWithMinutiae``);
- ``too_little_foreground``: fewer than 50,000 foreground pixels at 500 dpi (NFIQ 2's
  ``SufficientFingerprintForeground``): a partial or off-centre placement, or a fingertip.

NFIQ 2 rates how well a print will match *if it is a print*: it is no presence or
fingerprint detector (uniform noise scores about 30 here), so the station keeps its own
"is this a fingerprint at all" check in front of it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import cv2
import numpy as np

from .image import FingerprintImageError, as_gray_500dpi

# NFIQ 2's actionable feedback thresholds (NFIQ2 ActionableQualityFeedbackThreshold)
UNIFORM_SIGMA = 1.0
EMPTY_OR_LIGHT_MEAN = 250.0
MIN_MINUTIAE = 5.0
MIN_FOREGROUND_PIXELS = 50_000.0
# Ours: a mean grey this dark means ridges running together (wet finger, pressed too hard). On the
# ZFM views of all 928 real-set images (matching.evaluation.quality_study) the four darker than
# this all score NFIQ 2 ≤ 22, while prints with a mean of 46–60 score anything from 17 to 58.
TOO_DARK_MEAN = 45.0
# Ours: NFIQ 2 cannot score some faint prints at all (all of one FVC2000_DB1 finger: mean grey 230,
# standard deviation 8); an image it refuses that is this light gets "too light" as its feedback.
FAINT_MEAN = 200.0

FEEDBACK_CODES = ("uniform", "too_light", "too_dark", "too_few_minutiae", "too_little_foreground")
NOT_SCORED = "finger.nfiq2_not_scored"  # the library refused the image


@dataclass(frozen=True)
class Nfiq2Quality:
    score: int  # 0–100, NFIQ 2's unified quality score; 0 when it could not score
    feedback: tuple[str, ...] = ()  # codes from FEEDBACK_CODES, most basic first
    reason: str | None = None  # catalog id when NFIQ 2 could not score the image
    actionable: dict[str, float] = field(default_factory=dict)  # NFIQ 2's raw actionable values
    features: dict[str, float] = field(default_factory=dict)  # NFIQ 2's 69 quality features

    @property
    def scored(self) -> bool:
        return self.reason is None

    @property
    def message_id(self) -> str:
        """The catalog id of the instruction for a print that fails a gate (params ``finger``,
        ``quality``, ``minimum``): the most basic feedback first, else the general one."""
        return f"finger.poor_quality_{self.feedback[0]}" if self.feedback else "finger.poor_quality"


_LOCK = threading.Lock()
_EXTRACTOR = None


def _extractor():
    global _EXTRACTOR
    if _EXTRACTOR is None:
        import nbis

        _EXTRACTOR = nbis.new_nbis_extractor(nbis.NbisExtractorSettings(
            min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=True, ppi=None))
    return _EXTRACTOR


def feedback_codes(mean: float, sigma: float, minutiae: float | None, foreground: float | None) -> tuple[str, ...]:
    codes = []
    if sigma < UNIFORM_SIGMA:
        codes.append("uniform")
    elif mean > EMPTY_OR_LIGHT_MEAN:
        codes.append("too_light")
    elif mean < TOO_DARK_MEAN:
        codes.append("too_dark")
    if minutiae is not None and minutiae < MIN_MINUTIAE and "uniform" not in codes:
        codes.append("too_few_minutiae")
    if foreground is not None and foreground < MIN_FOREGROUND_PIXELS and "uniform" not in codes:
        codes.append("too_little_foreground")
    return tuple(codes)


def nfiq2(image: np.ndarray, dpi: float = 500) -> Nfiq2Quality:
    """NFIQ 2 of a fingerprint image (any dtype ``as_gray_500dpi`` takes) at ``dpi``; never raises."""
    try:
        gray = as_gray_500dpi(image, float(dpi))
    except FingerprintImageError as exc:
        return Nfiq2Quality(0, reason=exc.message_id)
    except (TypeError, ValueError):  # a dpi that is no number
        return Nfiq2Quality(0, reason="fingerprint.bad_dpi")
    mean, sigma = float(gray.mean()), float(gray.std())
    if sigma < UNIFORM_SIGMA:  # NFIQ 2 fails on these; say why instead
        return Nfiq2Quality(0, feedback_codes(mean, sigma, None, None), "finger.nfiq2_blank",
                            {"UniformImage": sigma, "EmptyImageOrContrastTooLow": mean})
    ok, png = cv2.imencode(".png", gray, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        return Nfiq2Quality(0, feedback_codes(mean, sigma, None, None), NOT_SCORED)
    try:
        with _LOCK:
            result = _extractor().extract_minutiae(png.tobytes()).quality()
    except Exception:  # nbis raises NbisError (and InternalError) for images it cannot score
        codes = feedback_codes(mean, sigma, None, None)
        if not codes and mean > FAINT_MEAN:
            codes = ("too_light",)
        return Nfiq2Quality(0, codes, NOT_SCORED, {"UniformImage": sigma, "EmptyImageOrContrastTooLow": mean})
    actionable = {v.name: float(v.value) for v in result.actionable}
    features = {v.name: float(v.value) for v in result.features}
    codes = feedback_codes(actionable.get("EmptyImageOrContrastTooLow", mean),
                           actionable.get("UniformImage", sigma),
                           actionable.get("FingerprintImageWithMinutiae"),
                           actionable.get("SufficientFingerprintForeground"))
    return Nfiq2Quality(int(np.clip(result.score, 0, 100)), codes, None, actionable, features)
