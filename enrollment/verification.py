"""1:1 verification (kiosk and counter): live face and one finger against the enrolled record.

No ICAO gate here, only enough to compare: a face found and landmarked, a finger image
with extractable minutiae. Liveness runs where the station requires it (always at the
kiosk). The decision is the fused score's (``fusion``); the result names each score so
the officer sees why.

The finger is judged by NFIQ 2 before it is compared (``rate_finger``), at the policy's own
``finger_min_nfiq2``, as at enrollment: a print below it is one the matcher often fails on
(docs/accuracy.md, "Finger image quality: NFIQ 2"), and at a kiosk a failed comparison sends the
applicant to an officer, while a refused capture only asks for another placement, with NFIQ 2's
feedback as the instruction (the same ``finger.poor_quality_*`` messages as enrollment). Once the
policy's attempts are used up the best capture is compared anyway: the comparison's threshold, not
the gate, holds the false-match rate, and a 1:1 check has no exception path to fall back on.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from domain.fingers import FingerPosition
from drivers.scanner import FingerImage
from matching.face.detection import detect
from matching.face.embedding import distance, encode, landmarks
from matching.face.liveness import LivenessChallenge, Observation
from matching.face.liveness import State as LiveState
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import decode_record
from matching.fingerprint.matcher import compare
from matching.fingerprint.nfiq2 import nfiq2

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
    finger_nfiq2: int | None = None  # NFIQ 2 of the print compared (None: no print rated)

    def as_json(self) -> dict:
        def r(v):
            return None if v is None else round(float(v), 4)

        return {"decision": self.decision, "face_score": r(self.face_score), "finger_score": r(self.finger_score),
                "fused_score": r(self.fused_score), "threshold": self.threshold, "finger": self.finger,
                "reason": self.reason, "finger_nfiq2": self.finger_nfiq2}


@dataclass(frozen=True)
class FingerRating:
    """One capture of the enrolled finger judged by NFIQ 2, and what the kiosk does next.

    ``compare``: go on to the comparison with ``image`` (this capture, or the best one once the
    attempts are used up). Otherwise ``message_id`` with ``params`` is the instruction for the next
    placement (``finger.poor_quality_*``, as at enrollment), unless ``exhausted`` too: NFIQ 2 could
    rate none of the captures, there is nothing to compare, and the decision is the face's alone.
    """

    image: FingerImage
    quality: int  # NFIQ 2 (0–100) of the image to compare, else of this capture
    minimum: int  # the policy's finger_min_nfiq2
    compare: bool
    message_id: str | None = None  # catalog id of the instruction after a refused capture
    params: dict = field(default_factory=dict)  # finger, quality, minimum
    feedback: tuple[str, ...] = ()  # NFIQ 2's actionable feedback codes for this capture
    attempt: int = 1
    exhausted: bool = False  # the policy's attempts are used up


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
        self.finger_ratings: list[FingerRating] = []  # every capture of the finger, in order
        self.finger_nfiq2: int | None = None  # NFIQ 2 of the print compared
        self._best_finger: tuple[int, FingerImage] | None = None
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

    def rate_finger(self, image: FingerImage, minimum: int, attempts: int) -> FingerRating:
        """NFIQ 2 of one capture against ``minimum`` (the policy's ``finger_min_nfiq2``), out of
        ``attempts`` (``finger_attempts``). About 100 ms: call it off a window's thread."""
        rated = nfiq2(image.pixels, image.dpi)  # never raises: an unusable image scores 0 with a reason
        if self._best_finger is None or rated.score > self._best_finger[0]:
            self._best_finger = (rated.score, image)
        attempt = len(self.finger_ratings) + 1
        params = {"finger": self.finger.slug if self.finger else None, "quality": rated.score, "minimum": minimum}
        if rated.score >= minimum:
            rating = FingerRating(image, rated.score, minimum, True, None, params, rated.feedback, attempt)
        elif attempt < max(1, attempts):
            rating = FingerRating(image, rated.score, minimum, False, rated.message_id, params, rated.feedback,
                                  attempt)
        else:
            best_score, best = self._best_finger
            # a print NFIQ 2 could not rate at all (blank, smeared) has nothing to compare
            rating = FingerRating(best, best_score, minimum, best_score > 0, rated.message_id, params,
                                  rated.feedback, attempt, exhausted=True)
        if rating.compare:
            self.finger_nfiq2 = rating.quality
        self.finger_ratings.append(rating)
        return rating

    def finger_image(self, pixels: np.ndarray, dpi: int) -> VerificationResult:
        if self.finger_nfiq2 is None:  # not rated on the way (``biostation verify``): say what was compared
            self.finger_nfiq2 = nfiq2(pixels, dpi).score
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
                                         self.reason, self.finger_nfiq2 if finger_score is not None else None)
        return self.result

    def _decide(self, decision: str, reason: str) -> VerifyGuidance:
        self.step = VerifyStep.DONE
        self.reason = reason
        self.result = VerificationResult(decision, None, None, None, FUSED_THRESHOLD,
                                         self.finger.slug if self.finger else None, reason)
        return VerifyGuidance(self.step, reason, None, None)
