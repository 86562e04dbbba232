"""1:1 verification (kiosk and counter): live face and one finger against the enrolled record.

No ICAO gate here, only enough to compare: a face found and landmarked, a finger image
with extractable minutiae. Liveness runs where the station requires it (always at the
kiosk). The decision is the fused score's (``fusion``); the result names each score so
the officer sees why.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from drivers.scanner import FingerPosition, Scanner
from matching.face.detection import detect
from matching.face.embedding import distance, encode
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


def live_face(frames: Iterator[tuple[np.ndarray, float]], timeout_s: float,
              liveness: LivenessChallenge | None) -> tuple[np.ndarray | None, str | None]:
    """The descriptor of a live face within ``timeout_s``; (None, reason id) otherwise."""
    for rgb, t in frames:
        faces = detect(rgb, upsample=1, max_width=FACE_WIDTH)
        if liveness is not None:
            from matching.face.embedding import landmarks

            lm = landmarks(rgb, faces[0]) if faces else None
            state = liveness.observe(Observation(t, lm, rgb.shape[:2]))
            if state is LiveState.FAILED:
                return None, "verify.liveness_failed"
            if state is LiveState.RUNNING:
                continue
        if faces:
            return encode(rgb, faces[0]).descriptor, None
        if t > timeout_s:
            break
    return None, "verify.no_face"


def verify(enrolled: dict, frames: Iterator[tuple[np.ndarray, float]], scanner: Scanner,
           face_timeout_s: float, liveness: LivenessChallenge | None,
           on_finger: Callable[[FingerPosition], None] | None = None,
           finger_timeout_s: float = 15.0) -> VerificationResult:
    """Compare a live face and one finger with the enrolled templates (from the central record)."""
    face_embedding = enrolled.get("face_embedding")
    fingers = enrolled.get("fingers") or []
    descriptor, reason = live_face(frames, face_timeout_s, liveness)
    if reason == "verify.liveness_failed":
        return VerificationResult("liveness_failed", None, None, None, FUSED_THRESHOLD, None, reason)
    face_d = distance(descriptor, np.asarray(face_embedding)) if descriptor is not None and face_embedding else None
    finger_s = None
    finger_name = None
    if fingers:
        template, position = decode_record(base64.b64decode(fingers[0]["iso19794_2"]))
        finger = FingerPosition(position)
        finger_name = finger.slug
        if on_finger:
            on_finger(finger)
        image = scanner.capture(finger, timeout=finger_timeout_s)
        scanner.wait_for_removal(2.0)
        finger_s = compare(extract(image.pixels, image.dpi), template)
    if face_d is None and finger_s is None:
        return VerificationResult("no_capture", None, None, None, FUSED_THRESHOLD, finger_name, reason)
    fused = fuse(face_d, finger_s)
    return VerificationResult("match" if fused.accepted else "no_match", face_d, finger_s, fused.fused,
                              FUSED_THRESHOLD, finger_name, reason if face_d is None else None)


def camera_frames(camera, deadline_s: float, read_timeout: float = 2.0) -> Iterator[tuple[np.ndarray, float]]:
    """(RGB frame, seconds since start) from a camera until ``deadline_s`` has passed."""
    from matching.face.detection import as_rgb

    start = time.monotonic()
    while (t := time.monotonic() - start) <= deadline_s:
        frame = camera.read(timeout=read_timeout)
        yield as_rgb(frame.image), t
