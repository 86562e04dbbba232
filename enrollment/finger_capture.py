"""Fingerprint capture for a set of fingers: quality gate, two consistent impressions, sequence check.

Quality is NFIQ 2 (ISO/IEC 29794-4, 0–100), the score offices and device specifications use, gated
at the policy's ``finger_min_nfiq2``; a print below it is refused with NFIQ 2's actionable feedback
as the instruction (too light, too dark, too little of the finger on the glass, too few minutiae).
NFIQ 2 costs about 100 ms a capture and runs where the rest of the judgement runs, never on a
window's thread. NFIQ 2 rates how well a print would match, not whether it is one (uniform noise
scores about 30), so a capture in which our extractor finds fewer than ``MIN_MINUTIAE`` minutiae
is refused first as no fingerprint at all: our matcher could not use it whatever its NFIQ 2.

Per finger the applicant places the finger until two impressions of enough quality agree
with each other (the matcher's score at a 0.1 % false-match threshold: the two came
from one finger). A failed try (poor quality, two impressions that disagree, or a print that
matches a finger already taken — the applicant put the wrong finger down) counts as one
attempt; after the policy's attempts the best impression is kept as a quality exception,
or the officer records the finger as missing or injured. Both need a supervisor.

Only the image the record keeps crosses the serial line (40 KB, 3.5 s at 115,200 baud). The first
impression is uploaded and judged here; the sensor also keeps its own features of it in a
character buffer. The second impression is confirmed on the sensor: its features go to the other
buffer and the sensor compares the two (the protocol's Match), 24 bytes each way. The sensor's
yes is taken as it stands when its score reaches the sensor's sure score (``sure_match_score``:
its strictest level, a false-match rate of 1e-4, ten times stricter than the 1e-3 this check
holds, because its features are minutiae alone on a 4-bit image). Everything below that is the
unsure band: a yes under the sure score, a no (pyfingerprint reports every no as 0, whatever
the score was), or no features at all. There the second image is uploaded after all and our
matcher, with its ridge flow, decides as it always did: a no from the sensor is often a genuine
pair its coarser features missed (on FVC2000_DB1_B one scored 43 on the sensor, 71 here, over a
threshold of 56), and one upload costs less than another attempt — a new placement, the first
image again and another confirmation — which would also use up one of the policy's attempts.
``capture_placement`` runs one placement this way on a sensor that has character buffers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from domain.fingers import FingerPosition
from drivers.scanner import FingerImage, Progress
from matching.fingerprint.extractor import Extraction, extract_details
from matching.fingerprint.image import FingerprintImageError
from matching.fingerprint.matcher import compare
from matching.fingerprint.nfiq2 import nfiq2
from matching.fingerprint.thresholds import threshold_for_fmr

from .policy import Policy
from .record import FingerCaptureResult, FingerException

MIN_MINUTIAE = 6  # as station.finger_check: fewer and it is no print our matcher can use
SAME_FINGER_SCORE = threshold_for_fmr(1e-3)  # two impressions agree
OTHER_POSITION_SCORE = threshold_for_fmr(1e-3)  # a new position repeats one already taken


class FingerOutcome(Enum):
    FIRST_TAKEN = "first_taken"  # place the same finger again
    ACCEPTED = "accepted"  # this finger is done
    POOR_QUALITY = "poor_quality"
    INCONSISTENT = "inconsistent"
    SAME_AS_OTHER = "same_as_other"
    EXHAUSTED = "exhausted"  # attempts used up: keep the best with an exception, or mark missing


@dataclass(frozen=True)
class FingerStep:
    outcome: FingerOutcome
    position: FingerPosition
    quality: int  # NFIQ 2, 0–100
    message_id: str
    params: dict = field(default_factory=dict)
    feedback: tuple[str, ...] = ()  # NFIQ 2's actionable feedback codes for this impression


@dataclass
class _Impression:
    image: FingerImage
    details: object
    quality: int  # NFIQ 2
    buffer: int | None = None  # the sensor's character buffer holding its features, if any


@dataclass(frozen=True)
class Placement:
    """What the sensor does with the next placement of the current finger."""

    position: FingerPosition
    buffer: int  # the character buffer its features go to
    confirm: bool  # compare on the sensor with the pending impression (no upload unless unsure)


@dataclass
class FingerSequence:
    positions: tuple[FingerPosition, ...]
    policy: Policy
    results: list[FingerCaptureResult] = field(default_factory=list)
    exceptions: list[FingerException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index = 0
        self._failures = 0
        self._pending: _Impression | None = None
        self._best: _Impression | None = None
        self._captures = 0

    @property
    def current(self) -> FingerPosition | None:
        return self.positions[self._index] if self._index < len(self.positions) else None

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def attempts_left(self) -> int:
        return max(0, self.policy.finger_attempts - self._failures)

    def placement(self) -> Placement:
        """The next placement: a first impression's features go to buffer 1 and its image is uploaded;
        once one is pending with features on the sensor, the next goes to the other buffer and is
        confirmed there."""
        position = self.current
        if position is None:
            raise RuntimeError("every finger is done")
        held = self._pending.buffer if self._pending is not None else None
        if held is None:
            return Placement(position, 1, False)
        return Placement(position, 3 - held, True)

    def confirm(self, score: int | None, sure_score: int) -> FingerStep | None:
        """The sensor's comparison of the placement with the pending impression: the finger is done
        when ``score`` reaches ``sure_score``; None in the unsure band (a lower score, a no as 0, or
        no features: None), where the caller uploads this impression and ``submit``s it."""
        position = self.current
        if position is None or self._pending is None or self._pending.buffer is None:
            raise RuntimeError("no impression is waiting for confirmation")
        if score is None or score < sure_score:
            return None
        self._captures += 1
        keep = self._pending
        self._accept(position, keep, score / 1000)  # the sensor's 0..1000 on the matcher's 0..1 scale
        return FingerStep(FingerOutcome.ACCEPTED, position, keep.quality, "sequence.confirmed",
                          {"finger": position.slug, "quality": keep.quality, "score": score})

    def submit(self, image: FingerImage, details: Extraction | None = None,
               buffer: int | None = None) -> FingerStep:
        """One impression; ``details`` is its extraction when a worker process already made it, ``buffer``
        the sensor's character buffer that holds its features (None: the sensor has none of it)."""
        position = self.current
        if position is None:
            raise RuntimeError("every finger is done")
        self._captures += 1
        try:
            details = details if details is not None else extract_details(image.pixels, image.dpi)
        except FingerprintImageError:  # not a print at all: a blank or smeared sensor
            details = None
        minimum = self.policy.finger_min_nfiq2
        rated = nfiq2(image.pixels, image.dpi)  # never raises: an unusable image scores 0 with a reason
        quality = rated.score
        if details is None or len(details.template) < MIN_MINUTIAE:  # blank, noise, a smudge
            message = rated.message_id if "uniform" in rated.feedback else "finger.not_a_print"
            return self._fail(position, quality, FingerOutcome.POOR_QUALITY, message,
                              feedback=rated.feedback, quality=quality, minimum=minimum)
        impression = _Impression(image, details, quality, buffer)
        if self._best is None or quality > self._best.quality:
            self._best = impression
        if quality < minimum:
            return self._fail(position, quality, FingerOutcome.POOR_QUALITY, rated.message_id,
                              feedback=rated.feedback, quality=quality, minimum=minimum)
        for done in self.results:
            score = compare(details.template, done.template)
            if score >= OTHER_POSITION_SCORE:
                self._pending = None
                return self._fail(position, quality, FingerOutcome.SAME_AS_OTHER, "finger.same_as_other",
                                  other=done.position.slug)
        if self._pending is None:
            self._pending = impression
            return FingerStep(FingerOutcome.FIRST_TAKEN, position, quality, "finger.again",
                              {"finger": position.slug})
        consistency = compare(self._pending.details.template, details.template)
        if consistency < SAME_FINGER_SCORE:
            self._pending = impression
            return self._fail(position, quality, FingerOutcome.INCONSISTENT, "finger.inconsistent")
        keep = impression if impression.quality >= self._pending.quality else self._pending
        self._accept(position, keep, consistency)
        return FingerStep(FingerOutcome.ACCEPTED, position, keep.quality, "finger.accepted",
                          {"finger": position.slug, "quality": keep.quality})

    def _fail(self, position: FingerPosition, score: int, outcome: FingerOutcome, message_id: str,
              feedback: tuple[str, ...] = (), **params: object) -> FingerStep:
        self._failures += 1
        if self._failures >= self.policy.finger_attempts:
            return FingerStep(FingerOutcome.EXHAUSTED, position, score, "finger.exhausted",
                              {"finger": position.slug, **params}, feedback)
        return FingerStep(outcome, position, score, message_id, {"finger": position.slug, **params}, feedback)

    def _accept(self, position: FingerPosition, keep: _Impression, consistency: float) -> None:
        self.results.append(FingerCaptureResult(position, keep.image.pixels, keep.image.dpi,
                                                keep.details.template, keep.quality, self._captures,
                                                float(consistency), keep.image.device))
        self._next()

    def keep_best(self, note: str = "") -> None:
        """After the attempts run out: keep the best impression, recorded as a quality exception."""
        position = self.current
        if position is None or self._best is None:
            raise RuntimeError("nothing to keep")
        self.results.append(FingerCaptureResult(position, self._best.image.pixels, self._best.image.dpi,
                                                self._best.details.template, self._best.quality,
                                                self._captures, 0.0, self._best.image.device))
        self.exceptions.append(FingerException(position, "quality", note))
        self._next()

    def skip(self, reason: str, note: str = "") -> None:
        """The finger cannot be taken (missing, injured, age): an exception needing approval."""
        position = self.current
        if position is None:
            raise RuntimeError("every finger is done")
        self.exceptions.append(FingerException(position, reason, note))
        self._next()

    def _next(self) -> None:
        self._index += 1
        self._failures = 0
        self._captures = 0
        self._pending = None
        self._best = None


class BufferedSensor(Protocol):
    """A sensor with character buffers that compares two impressions itself (the ZFM driver)."""

    sure_match_score: int

    def capture(self, position: FingerPosition | None = None, timeout: float = 10.0,
                cancel: threading.Event | None = None, progress: Progress | None = None) -> FingerImage: ...

    def upload_image(self, cancel: threading.Event | None = None,
                     progress: Progress | None = None) -> FingerImage: ...

    def features_on_sensor(self, buffer: int) -> bool: ...

    def confirm_on_sensor(self, buffer: int, timeout: float = 10.0, cancel: threading.Event | None = None,
                          position: FingerPosition | None = None) -> int | None: ...

    def wait_for_removal(self, timeout: float, cancel: threading.Event | None = None) -> bool: ...


def capture_placement(sequence: FingerSequence, sensor: BufferedSensor, timeout: float, removal_timeout: float,
                      cancel: threading.Event | None = None, progress: Progress | None = None,
                      extract: Callable[[FingerImage], Extraction | None] | None = None) -> FingerStep:
    """One placement of the current finger, start to finish: a first impression captured and
    uploaded, its features made on the sensor, then judged; a second confirmed on the sensor and
    uploaded only in the unsure band. The image is uploaded before waiting for the lift, because the sensor's
    looks for the lift overwrite its image buffer. ``extract`` makes the extraction elsewhere (a
    worker process) when given."""
    plan = sequence.placement()
    buffer: int | None = plan.buffer
    if plan.confirm:
        score = sensor.confirm_on_sensor(plan.buffer, timeout, cancel, plan.position)
        step = sequence.confirm(score, sensor.sure_match_score)
        if step is not None:
            sensor.wait_for_removal(removal_timeout, cancel)
            return step
        if score is None:
            buffer = None
        image = sensor.upload_image(cancel, progress)
        image = FingerImage(image.pixels, image.dpi, plan.position, image.device)
    else:
        image = sensor.capture(plan.position, timeout, cancel, progress)
        if not sensor.features_on_sensor(plan.buffer):
            buffer = None
    sensor.wait_for_removal(removal_timeout, cancel)
    return sequence.submit(image, extract(image) if extract is not None else None, buffer)
