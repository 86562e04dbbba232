"""Score-level fusion of face and finger for 1:1 verification.

Each modality's raw score is first put on a common scale, "how far past its own
threshold, in units of its genuine spread": face ``(T_face − distance) / 0.10`` with
T_face the station's face threshold (``matching.face.compare``), finger
``(score − T_finger) / 0.06`` with T_finger the 0.1 %-FMR finger threshold
(``matching.fingerprint.thresholds``); 0.10 and 0.06 are round figures chosen by hand,
not fitted on data (the finger's doubled from 0.03 when the global alignment check
doubled the matcher's scale: its 0.1 % threshold went from 0.0315 to 0.0640). The
fused score is the sum (the sum rule, which Kittler et al. and later NIST studies found the most robust fixed
rule), accepted at ≥ 0. So a clear finger match can carry a borderline face (glasses,
age), and the two together must still point the same way; when both sit just below
their thresholds the sum is negative and the person is sent to an officer.
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
