"""The enrollment flow as a state machine: the order of the steps and what each requires.

The console's windows and the headless ``biostation enroll`` drive the same object: each
method is one officer action, allowed only in the step it belongs to, and each is audited.
The flow owns no devices and no network: captures come in as results, the application
from an ``ApplicationSource``, and the finished record goes out to whoever submits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Protocol

from calibration.profile import CameraProfile
from domain.errors import BiostationError
from drivers.scanner import DeviceInfo

from .face_capture import FaceCapture
from .finger_capture import FingerSequence
from .policy import Policy
from .record import Approval, EnrollmentRecord, FaceCaptureResult


class FlowError(BiostationError):
    """A step the flow does not allow now, or a precondition the officer must meet first."""


class Step(Enum):
    LOGIN = "login"
    APPLICATION = "application"
    CONSENT = "consent"
    FACE = "face"
    FINGERS = "fingers"
    APPROVAL = "approval"
    REVIEW = "review"
    DONE = "done"


class ApplicationSource(Protocol):
    def lookup(self, number: str) -> dict:
        """The application (number, names, birth date, service); raises when unknown."""


class Officer(Protocol):
    name: str
    role: str

    def may(self, action: str) -> bool: ...


Audit = Callable[..., object]  # audit(actor, action, application, **detail)


@dataclass(frozen=True)
class RecordedOfficer:
    """The officer named on a resumed record: named in its audit entries, allowed nothing now."""

    name: str
    role: str = "recorded"

    def may(self, _action: str) -> bool:
        return False


def _now() -> str:
    return datetime.now(UTC).isoformat()


class EnrollmentFlow:
    def __init__(self, policy: Policy, station_id: str, applications: ApplicationSource, audit: Audit,
                 today: date) -> None:
        self.policy = policy
        self.station_id = station_id
        self.applications = applications
        self.audit = audit
        self.today = today
        self.step = Step.LOGIN
        self.officer: Officer | None = None
        self.record: EnrollmentRecord | None = None
        self.fingers: FingerSequence | None = None

    def _expect(self, *steps: Step) -> None:
        if self.step not in steps:
            raise FlowError("flow.wrong_step", step=self.step.value)

    def _log(self, action: str, **detail: object) -> None:
        number = self.record.application["number"] if self.record else None
        self.audit(self.officer.name if self.officer else "-", action, number, **detail)

    # -- steps -------------------------------------------------------------------------------
    def login(self, officer: Officer) -> None:
        self._expect(Step.LOGIN)
        if not officer.may("enroll"):
            raise FlowError("flow.not_allowed", role=officer.role)
        self.officer = officer
        self.step = Step.APPLICATION

    def resume_approval(self, record: EnrollmentRecord) -> None:
        """Take up a record parked for a supervisor by an earlier run of the console: the flow starts at
        the approval step, and the officer who captured the record stays its officer."""
        self._expect(Step.LOGIN)
        self.record = record
        self.officer = RecordedOfficer(record.officer)
        self._log("enrollment.resumed")
        self.step = Step.APPROVAL

    def open_application(self, number: str) -> dict:
        self._expect(Step.APPLICATION)
        application = self.applications.lookup(number.strip())
        self.record = EnrollmentRecord(application, self.officer.name, self.station_id, {}, _now())
        self._log("enrollment.open")
        self.step = Step.CONSENT
        return application

    def record_consent(self, obtained: bool, guardian: str | None = None) -> None:
        self._expect(Step.CONSENT)
        if not obtained:
            self._log("enrollment.consent_refused")
            raise FlowError("flow.no_consent")
        born = self.record.application["birth_date"]
        if self.policy.needs_guardian(born, self.today) and not guardian:
            raise FlowError("flow.guardian_needed")
        self.record.consent = {"obtained": True, "at": _now(), "text_id": self.policy.consent_text_id,
                               "guardian": guardian, "law": "UU 27/2022"}
        self._log("enrollment.consent", guardian=bool(guardian))
        self.step = Step.FACE

    def face_capture(self, device: DeviceInfo, kiosk: bool = False, seed: int | None = None,
                     profile: CameraProfile | None = None) -> FaceCapture:
        """A capture for the camera loop: the camera's calibration profile applied to every frame
        (its id goes into the record), and the liveness challenge if the station requires one."""
        self._expect(Step.FACE)
        challenge = self.policy.liveness_challenge("kiosk" if kiosk else "counter", seed)
        self.record.calibration_profile = profile.id if profile is not None else None
        return FaceCapture(device, self.policy.face_timeout_s, challenge, profile)

    def face_done(self, result: FaceCaptureResult | None) -> None:
        self._expect(Step.FACE)
        if result is None:
            raise FlowError("flow.no_face")
        self.record.face = result
        self._log("enrollment.face", passed=result.all_passed, exception=result.quality_exception)
        self.step = Step.FINGERS
        positions = self.policy.fingers
        self.fingers = FingerSequence(positions, self.policy)
        if not self.policy.needs_fingerprints(self.record.application["birth_date"], self.today):
            while not self.fingers.done:
                self.fingers.skip("age")

    def fingers_done(self) -> None:
        self._expect(Step.FINGERS)
        if not self.fingers.done:
            raise FlowError("flow.fingers_pending", finger=self.fingers.current.slug)
        self.record.fingers = list(self.fingers.results)
        self.record.exceptions = list(self.fingers.exceptions)
        self._log("enrollment.fingers", taken=[int(f.position) for f in self.record.fingers],
                  exceptions=[(int(e.position), e.reason) for e in self.record.exceptions])
        age_only = all(e.reason == "age" for e in self.record.exceptions) and not (
            self.record.face and self.record.face.quality_exception)
        self.step = Step.APPROVAL if self.record.needs_approval and not age_only else Step.REVIEW

    def approve(self, supervisor: Officer) -> None:
        self._expect(Step.APPROVAL)
        if not supervisor.may("approve"):
            raise FlowError("flow.not_supervisor", name=supervisor.name)
        self.record.approval = Approval(supervisor.name, _now())
        self.audit(supervisor.name, "enrollment.approve", self.record.application["number"])
        self.step = Step.REVIEW

    def finish(self) -> EnrollmentRecord:
        """Review accepted: the record is complete and goes to the outbox."""
        self._expect(Step.REVIEW)
        self.record.finished_at = _now()
        self._log("enrollment.finish")
        self.step = Step.DONE
        return self.record
