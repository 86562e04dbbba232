"""A 1:1 identity check of an applicant against their enrolled record: the kiosk's and the counter's.

One use case for both places: the enrolled record fetched from the central record, the
liveness challenge where the office's policy requires it (``liveness_at_kiosk``,
``liveness_at_counter``), the face and finger time limits from the policy, the finger's
extraction and comparison in a worker process when there is one, and one audit trail
(actor ``verification``, with where it happened). The kiosk feeds frames from its camera
thread; ``biostation verify`` runs ``run`` to the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import numpy as np

from domain.fingers import FingerPosition
from drivers.scanner import FingerImage, Progress
from enrollment.policy import Policy
from enrollment.verification import (
    FingerRating,
    LandmarkSource,
    Verification,
    VerificationResult,
    VerifyStep,
    detected_landmarks,
)

ACTOR = "verification"


class IdentityCheck:
    """``begin`` for each applicant; then frames, the finger, ``finish``. ``where``: "kiosk" or "counter"."""

    def __init__(self, station, policy: Policy, where: str, camera=None, scanner=None, workers=None,
                 face_timeout_s: float | None = None) -> None:
        if where not in ("kiosk", "counter"):
            raise ValueError(f"where must be 'kiosk' or 'counter', not {where!r}")
        self.station, self.policy, self.where = station, policy, where
        self.camera, self.scanner, self.workers = camera, scanner, workers
        self.face_timeout_s = policy.verify_face_timeout_s if face_timeout_s is None else face_timeout_s
        self.number: str | None = None
        self.check: Verification | None = None

    def enrolled(self, number: str) -> dict:
        """The enrolled record's templates; raises when the number is unknown or not enrolled."""
        return self.station.link().templates(number)

    def begin(self, number: str, enrolled: dict, seed: int | None = None,
              landmarks_of: LandmarkSource = detected_landmarks) -> Verification:
        self.number = number
        self.check = Verification(enrolled, self.face_timeout_s if self.camera is not None else 0.0,
                                  self.policy.liveness_challenge(self.where, seed), landmarks_of)
        self.station.audit.record(ACTOR, "verify.start", number, where=self.where)
        return self.check

    def describe_face(self) -> Future | None:
        """The live face's descriptor in a worker process (None: no face, or no workers, see ``run``)."""
        if self.check.face_frame is None or self.workers is None:
            return None
        rgb, box = self.check.face_frame
        return self.workers.encode_face(rgb, box)

    def capture_finger(self, progress: Progress | None = None) -> FingerImage:
        """Wait for the enrolled finger and upload it; blocks up to the policy's time limit."""
        return self.scanner.capture(self.check.finger, timeout=self.policy.finger_capture_timeout_s,
                                    progress=progress)

    def wait_for_lift(self) -> bool:
        return self.scanner.wait_for_removal(self.policy.finger_removal_timeout_s)

    def score_finger(self, image: FingerImage) -> Future | None:
        """Extraction and comparison in a worker process (None without workers: ``finish_with`` does it)."""
        if self.workers is None:
            return None
        return self.workers.score_finger(image.pixels, image.dpi, self.check.finger_template)

    def finish(self, finger_score: float | None) -> VerificationResult:
        return self.decided(self.check.finish(finger_score))

    def finish_with(self, image: FingerImage) -> VerificationResult:
        return self.decided(self.check.finger_image(image.pixels, image.dpi))

    def decided(self, result: VerificationResult) -> VerificationResult:
        """Audit the decision (every path ends here, the liveness failure included)."""
        self.station.audit.record(ACTOR, "verify." + result.decision, self.number, where=self.where,
                                  face=result.face_score, finger=result.finger_score)
        return result

    def run(self, number: str, frames: Iterator[tuple[np.ndarray, float]],
            on_finger: Callable[[FingerPosition], None] | None = None, seed: int | None = None,
            on_refused: Callable[[FingerRating], None] | None = None) -> VerificationResult:
        """The whole check, blocking: what ``biostation verify`` runs. A capture under the policy's NFIQ 2
        is refused (``on_refused`` says why) and taken again, up to ``finger_attempts``, as at the kiosk."""
        check = self.begin(number, self.enrolled(number), seed)
        for rgb, t in frames:
            check.observe(rgb, t)
            if check.step is not VerifyStep.FACE:
                break
        if check.step is VerifyStep.FACE:  # the camera ran out before the time limit
            check.reason = "verify.no_face"
            check.step = VerifyStep.FINGER
        if check.result is not None:
            return self.decided(check.result)
        check.describe_face()
        if check.finger is None or self.scanner is None:
            return self.finish(None)
        while True:  # the kiosk's NFIQ 2 gate (``Verification.rate_finger``), attempt by attempt
            if on_finger:
                on_finger(check.finger)
            image = self.capture_finger()
            self.wait_for_lift()
            rating = check.rate_finger(image, self.policy.finger_min_nfiq2, self.policy.finger_attempts)
            if rating.compare:
                return self.finish_with(rating.image)
            if rating.exhausted:  # NFIQ 2 could rate none of them: the face decides alone
                return self.finish(None)
            if on_refused:
                on_refused(rating)


def camera_frames(camera, deadline_s: float, read_timeout: float = 2.0) -> Iterator[tuple[np.ndarray, float]]:
    """(RGB frame, seconds since start) from a camera until ``deadline_s`` has passed."""
    from matching.face.detection import as_rgb

    start = time.monotonic()
    while (t := time.monotonic() - start) <= deadline_s:
        frame = camera.read(timeout=read_timeout)
        yield as_rgb(frame.image), t
