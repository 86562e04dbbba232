"""The enrollment record as data: what was captured, how well, by what, and the exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from domain.fingers import FingerPosition
from drivers.scanner import DeviceInfo
from matching.fingerprint.template import Template


@dataclass(frozen=True)
class CheckResult:
    name: str
    value: float
    limit: str
    passed: bool


@dataclass(frozen=True)
class FaceCaptureResult:
    jpeg: bytes  # the ISO 19794-5 full-frontal crop
    size: tuple[int, int]  # width, height of the crop
    eyes: tuple[tuple[int, int], tuple[int, int]]  # eye centres in the crop
    embedding: np.ndarray  # (128,) float32
    checks: tuple[CheckResult, ...]
    pose: tuple[float, float, float]
    liveness: str  # "passed" | "not_required"
    quality_exception: bool  # kept after the time limit without passing every check
    device: DeviceInfo

    @property
    def all_passed(self) -> bool:
        return all(c.passed for c in self.checks)


@dataclass(frozen=True)
class FingerCaptureResult:
    position: FingerPosition
    image: np.ndarray  # uint8 gray, the best impression
    dpi: int
    template: Template
    quality: int
    attempts: int
    consistency: float  # matcher score between the two impressions
    device: DeviceInfo


@dataclass(frozen=True)
class FingerException:
    position: FingerPosition
    reason: str  # "missing" | "injured" | "quality" | "age"
    note: str = ""


@dataclass(frozen=True)
class Approval:
    supervisor: str
    at: str


@dataclass
class EnrollmentRecord:
    application: dict
    officer: str
    station_id: str
    consent: dict
    started_at: str
    face: FaceCaptureResult | None = None
    fingers: list[FingerCaptureResult] = field(default_factory=list)
    exceptions: list[FingerException] = field(default_factory=list)
    approval: Approval | None = None
    calibration_profile: str | None = None
    finished_at: str | None = None

    @property
    def needs_approval(self) -> bool:
        face_exception = self.face is not None and self.face.quality_exception
        return bool(self.exceptions) or face_exception

    @property
    def devices(self) -> list[DeviceInfo]:
        seen: dict[str, DeviceInfo] = {}
        for d in ([self.face.device] if self.face else []) + [f.device for f in self.fingers]:
            seen.setdefault(d.device_id, d)
        return list(seen.values())
