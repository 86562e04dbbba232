"""Score-level fusion of face and finger for 1:1 decisions.

Here, below both of its users, because the station's verification (``enrollment.fusion``)
and the central record's check of a re-enrollment against the version it would replace
(``central.duplicates.compare_versions``) must decide by one rule, and ``central`` may import
only ``matching`` and ``domain``.

Each modality's raw score is first put on a common scale, "how far past its own
threshold, in units of its genuine spread": face ``(T_face − distance) / 0.10`` with
T_face the station's face threshold (``matching.face.compare.THRESHOLD``), finger
``(score − T_finger) / 0.06`` with T_finger the finger score at 0.1 % false matches per
comparison (``threshold_for_fmr(VERIFY_FMR)`` from ``matching.fingerprint.thresholds``,
whose table for templates that carry a ridge flow applies: the station's own templates
carry one). Neither threshold is copied here, so a re-fitted one moves the fusion with
it. The spreads 0.10 and 0.06 are round figures chosen by hand, not fitted on data. The
fused score is the sum (the sum rule, which Kittler et al. and later NIST studies found
the most robust fixed rule), accepted at ≥ 0. So a clear finger match can carry a
borderline face (glasses, age), and the two together must still point the same way;
when both sit just below their thresholds the sum is negative and the person is sent to
an officer. The fused operating point has not been measured: no data set here holds
both faces and fingerprints of the same people (docs/accuracy.md, "Face + finger
fusion").
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.face.compare import THRESHOLD as FACE_THRESHOLD
from matching.fingerprint.thresholds import VERIFY_FMR, threshold_for_fmr

FACE_SPREAD = 0.10
FINGER_SPREAD = 0.06
FUSED_THRESHOLD = 0.0


@dataclass(frozen=True)
class FusedScore:
    face: float | None  # normalised, None when the modality is missing
    finger: float | None
    fused: float
    accepted: bool


def face_normalised(distance: float) -> float:
    return (FACE_THRESHOLD - distance) / FACE_SPREAD


def finger_normalised(score: float) -> float:
    return (score - threshold_for_fmr(VERIFY_FMR)) / FINGER_SPREAD


def fuse(face_distance: float | None, finger_score: float | None) -> FusedScore:
    """Sum of the available normalised scores; one modality alone must pass on its own."""
    f = face_normalised(face_distance) if face_distance is not None else None
    p = finger_normalised(finger_score) if finger_score is not None else None
    parts = [v for v in (f, p) if v is not None]
    fused = float(sum(parts)) if parts else float("-inf")
    return FusedScore(f, p, fused, bool(parts) and fused >= FUSED_THRESHOLD)
