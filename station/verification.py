"""A 1:1 identity check of an applicant against their enrolled record: the kiosk's and the counter's.

One use case for both places: the enrolled record fetched from the central record, the
liveness challenge where the office's policy requires it (``liveness_at_kiosk``,
``liveness_at_counter``), the face and finger time limits from the policy, the finger's
extraction and comparison in a worker process when there is one, and one audit trail
(actor ``verification``, with where it happened). The kiosk feeds frames from its camera
thread; ``biostation verify`` runs ``run`` to the end.

Each capture of the finger is first asked whether it is a fingerprint at all (``rate_finger``:
at least ``finger_check.MIN_MINUTIAE`` minutiae) and then judged by NFIQ 2, both before any
comparison: a palm's edge or an empty glass is refused with ``kiosk_access.not_a_print`` and the
applicant asked to place the finger again, within the same ``finger_attempts`` as a faint print.
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

from .finger_check import capture_problem

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

    def rate_finger(self, image: FingerImage) -> FingerRating:
        """Not a print (too few minutiae): refused before anything else; then NFIQ 2's gate
        (``Verification.rate_finger``). Blocks for the extraction and NFIQ 2: call it off a window's thread.

        A refused not-a-print counts as one of the policy's attempts, so a palm held on the glass
        cannot keep the kiosk asking forever; when it is the last one, the best real print taken
        before it (if any) is compared, as NFIQ 2's own last attempt does.
        """
        check, policy = self.check, self.policy
        problem = capture_problem(image.pixels, image.dpi, self.workers, policy.finger_capture_timeout_s)
        if problem is None:
            return check.rate_finger(image, policy.finger_min_nfiq2, policy.finger_attempts)
        attempt = len(check.finger_ratings) + 1
        params = {"finger": check.finger.slug if check.finger else None}
        exhausted = attempt >= max(1, policy.finger_attempts)
        prints = [r for r in check.finger_ratings if r.message_id != problem and r.quality > 0]
        best = max(prints, key=lambda r: r.quality) if exhausted and prints else None
        if best is not None:
            check.finger_nfiq2 = best.quality
            rating = FingerRating(best.image, best.quality, policy.finger_min_nfiq2, True, problem, params,
                                  attempt=attempt, exhausted=True)
        else:
            rating = FingerRating(image, 0, policy.finger_min_nfiq2, False, problem, params, attempt=attempt,
                                  exhausted=exhausted)
        check.finger_ratings.append(rating)
        self.station.audit.record(ACTOR, "verify.not_a_print", self.number, where=self.where, attempt=attempt)
        return rating

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
        is refused (``on_refused`` says why) and taken again, up to ``finger_attempts``, as at the kiosk;
        so is a capture that is not a fingerprint at all, before NFIQ 2 or any comparison."""
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
        while True:  # the kiosk's not-a-print check and NFIQ 2 gate (``rate_finger``), attempt by attempt
            if on_finger:
                on_finger(check.finger)
            image = self.capture_finger()
            self.wait_for_lift()
            rating = self.rate_finger(image)
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
