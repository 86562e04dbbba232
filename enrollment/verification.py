"""1:1 verification (kiosk and counter): live face and one finger against the enrolled record.

No ICAO gate here, only enough to compare: a face found and landmarked, a finger image
with extractable minutiae. Liveness runs where the station requires it (always at the
kiosk). The decision is the fused score's (``fusion``); the result names each score so
the officer sees why.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from domain.fingers import FingerPosition
from matching.face.detection import detect
from matching.face.embedding import distance, encode, landmarks
from matching.face.liveness import LivenessChallenge, Observation
from matching.face.liveness import State as LiveState
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import decode_record
from matching.fingerprint.matcher import compare

from .fusion import FUSED_THRESHOLD, fuse

FACE_WIDTH = 320


@dataclass(frozen=True)
class VerificationResult:
    decision: str  # "match" | "no_match" | "liveness_failed" | "no_capture"
    face_score: float | None  # face distance (lower = more alike)
    finger_score: float | None  # matcher score (higher = more alike)
    fused_score: float | None
    threshold: float
    finger: str | None
    reason: str | None = None  # catalog id when there was no decision

    def as_json(self) -> dict:
        def r(v):
            return None if v is None else round(float(v), 4)

        return {"decision": self.decision, "face_score": r(self.face_score), "finger_score": r(self.finger_score),
                "fused_score": r(self.fused_score), "threshold": self.threshold, "finger": self.finger,
                "reason": self.reason}


LandmarkSource = Callable[[np.ndarray], tuple[object, np.ndarray] | None]  # rgb -> (box, 68 landmarks)


def detected_landmarks(rgb: np.ndarray):
    """The camera's landmark source: HOG detection on a downscaled frame, 68 points at full size."""
    faces = detect(rgb, upsample=1, max_width=FACE_WIDTH)
    return (faces[0], landmarks(rgb, faces[0])) if faces else None


class VerifyStep(Enum):
    FACE = "face"  # looking for a live face (the liveness challenge runs here where required)
    FINGER = "finger"
    DONE = "done"


@dataclass(frozen=True)
class VerifyGuidance:
    step: VerifyStep
    instruction: str | None  # catalog id
    box: object | None
    landmarks: np.ndarray | None
    checks: tuple = ()


class Verification:
    """1:1 verification as a state machine: frames until a live face, then one finger, then the decision.

    ``station.verification.IdentityCheck`` feeds it for the kiosk and ``biostation verify`` alike.
    ``landmarks_of`` is where landmarks come from: the camera's detector, or a scripted sequence in tests. The face
    descriptor can be handed in by a worker process (``face_found``) or computed here.
    """

    def __init__(self, enrolled: dict, face_timeout_s: float, liveness: LivenessChallenge | None,
                 landmarks_of: LandmarkSource = detected_landmarks) -> None:
        self.enrolled = enrolled
        self.face_timeout_s = face_timeout_s
        self.liveness = liveness
        self.landmarks_of = landmarks_of
        self.step = VerifyStep.FACE
        self.face_frame: tuple[np.ndarray, object] | None = None  # (rgb, box) to describe
        self.face_distance: float | None = None
        self.reason: str | None = None
        self.result: VerificationResult | None = None
        fingers = enrolled.get("fingers") or []
        # the enrolled finger to ask for, decoded once (the kiosk reads ``finger`` on every frame)
        self.finger_template, self.finger = None, None
        if fingers:
            template, position = decode_record(base64.b64decode(fingers[0]["iso19794_2"]))
            self.finger_template, self.finger = template, FingerPosition(position)

    def observe(self, rgb: np.ndarray, t: float) -> VerifyGuidance:
        if self.step is not VerifyStep.FACE:
            return VerifyGuidance(self.step, None, None, None)
        found = self.landmarks_of(rgb)
        box, lm = found if found else (None, None)
        if self.liveness is not None:
            state = self.liveness.observe(Observation(t, lm, rgb.shape[:2]))
            if state is LiveState.FAILED:
                return self._decide("liveness_failed", "verify.liveness_failed")
            if state is LiveState.RUNNING:
                return VerifyGuidance(self.step, self.liveness.instruction, box, lm)
        if box is not None:
            self.face_frame = (rgb, box)
            self.step = VerifyStep.FINGER
            return VerifyGuidance(self.step, "sensor.place_finger", box, lm)
        if t > self.face_timeout_s:
            self.reason = "verify.no_face"
            self.step = VerifyStep.FINGER if self.finger is not None else VerifyStep.DONE
            if self.step is VerifyStep.DONE:
                return self._decide("no_capture", "verify.no_face")
        return VerifyGuidance(self.step, "verify.no_face" if t > 1.0 else None, box, lm)

    def face_found(self, descriptor: np.ndarray | None) -> None:
        """The live face's descriptor (None: no face); compares it with the enrolled one."""
        enrolled = self.enrolled.get("face_embedding")
        if descriptor is not None and enrolled:
            self.face_distance = distance(descriptor, np.asarray(enrolled))

    def describe_face(self) -> None:
        """Compute the descriptor here (the command line; the kiosk uses a worker process)."""
        if self.face_frame is not None and self.face_distance is None:
            rgb, box = self.face_frame
            self.face_found(encode(rgb, box).descriptor)

    def finger_image(self, pixels: np.ndarray, dpi: int) -> VerificationResult:
        score = compare(extract(pixels, dpi), self.finger_template)
        return self.finish(score)

    def finish(self, finger_score: float | None = None) -> VerificationResult:
        if self.face_distance is None and finger_score is None:
            self._decide("no_capture", self.reason or "verify.no_face")
            return self.result  # type: ignore[return-value]
        fused = fuse(self.face_distance, finger_score)
        self.step = VerifyStep.DONE
        self.result = VerificationResult("match" if fused.accepted else "no_match", self.face_distance, finger_score,
                                         fused.fused, FUSED_THRESHOLD, self.finger.slug if self.finger else None,
                                         self.reason)
        return self.result

    def _decide(self, decision: str, reason: str) -> VerifyGuidance:
        self.step = VerifyStep.DONE
        self.reason = reason
        self.result = VerificationResult(decision, None, None, None, FUSED_THRESHOLD,
                                         self.finger.slug if self.finger else None, reason)
        return VerifyGuidance(self.step, reason, None, None)
