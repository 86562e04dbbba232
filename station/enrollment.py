"""One applicant's enrollment at this station: the use case the console and ``biostation enroll`` drive.

It owns what each front-end would otherwise assemble for itself: the flow built with the
office's policy, the station's id, its application desk and audit log; the camera's
calibration profile and the liveness challenge; the sensor's time limits; extraction in the
worker processes when there are some; sealing into the outbox and delivery. The console shows
it on its pages, the command line on stderr; neither decides anything the other does not.

A garbled, cut or silent answer from the sensor costs a retry of that capture or wait (at
most ``FAULT_TRIES`` in all, within the policy's time limit), not the enrollment and the
face it already holds: the driver's next call works again after such a fault.

A sensor with character buffers (the ZFM: ``confirm_on_sensor``) takes a finger in placements
(``place_finger``): the first impression is uploaded, the second is compared with it on the
sensor and uploaded only when the sensor is unsure, one 40 KB upload a finger instead of two.
Each of the sensor's calls inside a placement is retried on its own, so a lost answer never
repeats a step the sequence has already counted. A scanner without them keeps the older
capture, lift and judge, two uploads a finger.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from domain.fingers import FingerPosition
from drivers.errors import CaptureCancelled, DeviceError, DeviceProtocolError, DeviceTimeout
from drivers.scanner import FingerImage, Progress
from enrollment.face_capture import FaceCapture
from enrollment.finger_capture import FingerSequence, FingerStep, capture_placement
from enrollment.flow import EnrollmentFlow, Step
from enrollment.policy import Policy
from enrollment.record import EnrollmentRecord, FaceCaptureResult
from matching.fingerprint.extractor import Extraction, extract_details
from matching.fingerprint.image import FingerprintImageError

log = logging.getLogger("biostation.enrollment")

FAULT_TRIES = 3  # tries of one capture or one wait for a lift when the sensor's answers are lost
T = TypeVar("T")


def _transient(exc: DeviceError) -> bool:
    """A lost answer (garbled, cut short, silent), which the next call survives; not a finger that never came."""
    return isinstance(exc, DeviceProtocolError) or (
        isinstance(exc, DeviceTimeout) and exc.message_id != "sensor.no_finger")


@dataclass(frozen=True)
class Delivery:
    packet_id: str
    delivered: bool  # False: safe in the outbox, delivered by a later flush


@dataclass(frozen=True)
class Placed:
    """One placement's outcome, and the image to show for it: the one that crossed the line, or, when
    the sensor confirmed the finger without an upload, the image the record keeps."""

    step: FingerStep
    pixels: np.ndarray | None


class _PlacementSensor:
    """The buffered sensor as ``capture_placement`` uses it from one placement's thread.

    Each call is retried on its own after a lost answer. That is safe: a capture looks again for the
    finger still lying there, a conversion or an upload works on the image the sensor still holds
    (only a new look replaces it), and nothing in the sequence has moved yet. Just before the
    sequence is changed (the sensor's comparison judged, an uploaded impression submitted) the
    placement takes the enrollment's commit lock and gives up if it was withdrawn meanwhile, so a
    placement the officer has moved past never changes the next finger; the lock is let go at the
    next call to the sensor or when the placement ends, never held while the sensor works.
    Remembers the last image that came up the line."""

    def __init__(self, scanner, retry: Callable[[Callable[[float], object], float], object], limit_s: float,
                 commit: threading.Lock, cancel: threading.Event | None) -> None:
        self.scanner, self.retry, self.limit_s = scanner, retry, limit_s
        self.commit, self.cancel = commit, cancel
        self.sure_match_score: int = scanner.sure_match_score
        self.uploaded: FingerImage | None = None
        self.holding = False

    def enter(self) -> None:
        """Take the commit lock for the sequence's change that follows; refused once withdrawn."""
        if not self.holding:
            self.commit.acquire()
            self.holding = True
        if self.cancel is not None and self.cancel.is_set():
            self.leave()
            raise CaptureCancelled()

    def leave(self) -> None:
        if self.holding:
            self.holding = False
            self.commit.release()

    def capture(self, position: FingerPosition | None = None, timeout: float = 10.0, cancel=None,
                progress: Progress | None = None) -> FingerImage:
        self.leave()
        self.uploaded = self.retry(
            lambda left: self.scanner.capture(position, timeout=left, cancel=cancel, progress=progress), timeout)
        return self.uploaded

    def upload_image(self, cancel=None, progress: Progress | None = None) -> FingerImage:
        self.leave()
        self.uploaded = self.retry(lambda _left: self.scanner.upload_image(cancel, progress), self.limit_s)
        return self.uploaded

    def features_on_sensor(self, buffer: int) -> bool:
        self.leave()
        return self.retry(lambda _left: self.scanner.features_on_sensor(buffer), self.limit_s)

    def confirm_on_sensor(self, buffer: int, timeout: float = 10.0, cancel=None,
                          position: FingerPosition | None = None) -> int | None:
        self.leave()
        score = self.retry(lambda left: self.scanner.confirm_on_sensor(buffer, left, cancel, position), timeout)
        self.enter()  # the sequence judges the score next
        return score

    def wait_for_removal(self, timeout: float, cancel=None) -> bool:
        self.leave()
        return self.retry(lambda left: self.scanner.wait_for_removal(left, cancel), timeout)


class Enrollment:
    """An officer enrolling one application: open it, capture, approve, submit.

    Every blocking call (``open``, ``capture_finger``, ``approve``, ``submit``, ``deliver``) is
    meant for a worker thread or the command line; the rest is quick state.
    """

    def __init__(self, station, officer, policy: Policy, desk, camera=None, scanner=None, profile=None,
                 workers=None) -> None:
        self.station, self.policy, self.desk = station, policy, desk
        self.camera, self.scanner, self.profile, self.workers = camera, scanner, profile, workers
        self.flow = EnrollmentFlow(policy, station.registration.station_id, desk, station.audit.record,
                                   desk.today())
        if officer is not None:  # None: a parked record taken up again (``awaiting_approval``)
            self.flow.login(officer)
        self.delivery: Delivery | None = None
        self._commit = threading.Lock()  # a placement's change to the sequence against the officer's own

    @classmethod
    def awaiting_approval(cls, station, policy: Policy, desk, record: EnrollmentRecord) -> Enrollment:
        """A record parked for a supervisor by an earlier run of the console, at the approval step again."""
        enrollment = cls(station, None, policy, desk)
        enrollment.flow.resume_approval(record)
        return enrollment

    # -- the application ---------------------------------------------------------------------
    def open(self, number: str, consent: bool, guardian: str | None = None) -> dict:
        """Look the application up (central record, else the station's cache) and record consent."""
        application = self.flow.open_application(number)
        self.flow.record_consent(consent, guardian)
        return application

    @property
    def record(self) -> EnrollmentRecord | None:
        return self.flow.record

    @property
    def step(self) -> Step:
        return self.flow.step

    # -- the face ----------------------------------------------------------------------------
    def face_capture(self) -> FaceCapture:
        """The capture the camera loop feeds: this camera's profile applied, liveness as the policy says."""
        return self.flow.face_capture(self.camera.info, profile=self.profile)

    def describe_face(self, capture: FaceCapture) -> Future | None:
        """The chosen frame's descriptor in a worker process (None: computed when the face is kept)."""
        frame = capture.chosen
        if frame is None or self.workers is None:
            return None
        return self.workers.encode_face(frame.rgb, frame.box)

    def keep_face(self, capture: FaceCapture, descriptor=None) -> FaceCaptureResult:
        result = capture.result(descriptor=descriptor)
        self.flow.face_done(result)
        return result

    # -- the fingers -------------------------------------------------------------------------
    @property
    def fingers(self) -> FingerSequence:
        return self.flow.fingers

    def capture_finger(self, progress: Progress | None = None, cancel=None) -> FingerImage:
        """Wait for the current finger and upload its image (blocks up to the policy's time limit)."""
        position = self.fingers.current
        return self._through_faults(
            lambda left: self.scanner.capture(position, timeout=left, cancel=cancel, progress=progress),
            self.policy.finger_capture_timeout_s)

    @property
    def confirms_on_sensor(self) -> bool:
        """Whether the scanner compares two impressions itself (character buffers and a sure score):
        then ``place_finger`` takes the finger with one upload; otherwise capture, lift and judge."""
        return all(callable(getattr(self.scanner, name, None))
                   for name in ("confirm_on_sensor", "features_on_sensor", "upload_image")) and isinstance(
            getattr(self.scanner, "sure_match_score", None), int)

    def place_finger(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> Placed:
        """One placement of the current finger, lift included (blocks; for a worker thread or the
        command line): the first impression uploaded, the second confirmed on the sensor. Once
        ``withdraw(cancel)`` has returned, this placement changes nothing in the sequence."""
        sensor = _PlacementSensor(self.scanner, self._through_faults, self.policy.finger_capture_timeout_s,
                                  self._commit, cancel)

        def extract(image: FingerImage) -> Extraction | None:
            """The extraction before the commit lock is taken, so the lock covers the judging alone."""
            if self.workers is not None:
                details = self.workers.extract_details(image.pixels, image.dpi).result()
            else:
                try:
                    details = extract_details(image.pixels, image.dpi)
                except FingerprintImageError:  # not a print: the sequence finds that again and says so
                    details = None
            sensor.enter()  # the sequence judges the impression next
            return details

        done = len(self.fingers.results)
        try:
            step = capture_placement(self.fingers, sensor, self.policy.finger_capture_timeout_s,
                                     self.policy.finger_removal_timeout_s, cancel, progress, extract)
        finally:
            sensor.leave()
        pixels = sensor.uploaded.pixels if sensor.uploaded is not None else None
        if pixels is None and len(self.fingers.results) > done:
            pixels = self.fingers.results[-1].image
        return Placed(step, pixels)

    def withdraw(self, cancel: threading.Event) -> None:
        """Cancel a placement in flight for good: after this returns it has either changed the sequence
        already or never will (it waits at most for one judging already under way)."""
        with self._commit:
            cancel.set()

    def wait_for_lift(self) -> bool:
        return self._through_faults(self.scanner.wait_for_removal, self.policy.finger_removal_timeout_s)

    @staticmethod
    def _through_faults(call: Callable[[float], T], limit_s: float) -> T:
        """``call(seconds left)``, tried again after a lost answer, at most FAULT_TRIES times within ``limit_s``."""
        deadline = time.monotonic() + limit_s
        tries = 1
        while True:
            try:
                return call(max(deadline - time.monotonic(), 0.0))
            except (DeviceTimeout, DeviceProtocolError) as exc:
                if not _transient(exc) or tries == FAULT_TRIES or time.monotonic() >= deadline:
                    raise
                tries += 1
                log.warning("the sensor's answer was lost (%s); trying again (%d of %d)", exc, tries, FAULT_TRIES)

    def extract(self, image: FingerImage) -> Future | None:
        """The image's extraction in a worker process; None when this enrollment has none (then ``judge`` does it)."""
        return None if self.workers is None else self.workers.extract_details(image.pixels, image.dpi)

    def judge(self, image: FingerImage, details=None) -> FingerStep:
        """Quality, the two impressions' agreement and the sequence check for the current finger."""
        return self.fingers.submit(image, details)

    def fingers_done(self) -> None:
        self.flow.fingers_done()

    # -- approval and delivery ---------------------------------------------------------------
    @property
    def needs_approval(self) -> bool:
        return self.flow.step is Step.APPROVAL

    def approve(self, supervisor: str, password: str) -> None:
        """A supervisor's approval of the record's exceptions, after their password is checked."""
        self.flow.approve(self.station.officers.authenticate(supervisor, password))

    def submit(self) -> str:
        """Finish the record and seal it into the outbox; once this returns, the record is safe."""
        packet_id = self.station.submit(self.flow.finish())
        self.delivery = Delivery(packet_id, False)
        return packet_id

    def deliver(self) -> Delivery:
        """Try to deliver now; a record that stays pending goes with the next flush."""
        packet_id = self.delivery.packet_id
        result = self.station.flush()
        self.delivery = Delivery(packet_id, result.reachable and packet_id not in self.station.outbox.pending())
        return self.delivery
