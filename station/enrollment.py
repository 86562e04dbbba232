"""One applicant's enrollment at this station: the use case the console and ``biostation enroll`` drive.

It owns what each front-end would otherwise assemble for itself: the flow built with the
office's policy, the station's id, its application desk and audit log; the camera's
calibration profile and the liveness challenge; the sensor's time limits; extraction in the
worker processes when there are some; sealing into the outbox and delivery. The console shows
it on its pages, the command line on stderr; neither decides anything the other does not.

A garbled, cut or silent answer from the sensor costs a retry of that capture or wait (at
most ``FAULT_TRIES`` in all, within the policy's time limit), not the enrollment and the
face it already holds: the driver's next call works again after such a fault.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

from drivers.errors import DeviceError, DeviceProtocolError, DeviceTimeout
from drivers.scanner import FingerImage, Progress
from enrollment.face_capture import FaceCapture
from enrollment.finger_capture import FingerSequence, FingerStep
from enrollment.flow import EnrollmentFlow, Step
from enrollment.policy import Policy
from enrollment.record import EnrollmentRecord, FaceCaptureResult

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
        self.flow.login(officer)
        self.delivery: Delivery | None = None

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
