"""Face capture as a state machine fed one frame at a time, by the console or a headless run.

Each frame is detected on a downscaled copy (fast enough for the live preview), landmarked
at full resolution and checked against the ICAO rules; the guidance is the first failing
check's instruction. The frame is captured automatically when every check passes (after
the liveness challenge, where the station requires one). Past the time limit the best
frame so far — most checks passed, then sharpest — is offered; keeping it is a quality
exception that a supervisor must approve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from calibration.profile import CameraProfile
from drivers.scanner import DeviceInfo
from matching.face.crop import iso_crop, jpeg
from matching.face.detection import FaceBox, as_rgb, detect
from matching.face.embedding import encode, landmarks
from matching.face.icao import Check, check_photo, first_instruction
from matching.face.liveness import LivenessChallenge, Observation
from matching.face.liveness import State as LiveState
from matching.face.pose import head_pose, intrinsics_for

from .record import CheckResult, FaceCaptureResult

PREVIEW_WIDTH = 320


class FaceState(Enum):
    LIVENESS = "liveness"  # the challenge is running
    ADJUSTING = "adjusting"  # frames arrive, not every check passes yet
    CAPTURED = "captured"
    TIMED_OUT = "timed_out"  # the best frame so far is on offer
    LIVENESS_FAILED = "liveness_failed"


@dataclass(frozen=True)
class FaceGuidance:
    """What the window shows for one frame."""

    state: FaceState
    checks: tuple[Check, ...]
    instruction: str | None  # catalog id
    box: FaceBox | None
    landmarks: np.ndarray | None


@dataclass
class _Frame:
    rgb: np.ndarray
    box: FaceBox
    landmarks: np.ndarray
    checks: list[Check]

    @property
    def rank(self) -> tuple[int, float]:
        sharp = next((c.value for c in self.checks if c.name == "sharpness"), 0.0)
        return sum(c.passed for c in self.checks), sharp


@dataclass
class FaceCapture:
    device: DeviceInfo
    timeout_s: float = 20.0
    liveness: LivenessChallenge | None = None
    profile: CameraProfile | None = None  # the camera's calibration: undistortion, colour
    state: FaceState = field(init=False)
    best: _Frame | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.state = FaceState.LIVENESS if self.liveness else FaceState.ADJUSTING
        self._captured: _Frame | None = None

    @property
    def finished(self) -> bool:
        return self.state in (FaceState.CAPTURED, FaceState.TIMED_OUT, FaceState.LIVENESS_FAILED)

    def observe_frame(self, bgr: np.ndarray, t: float) -> FaceGuidance:
        """A camera frame as it arrives (BGR): the calibration profile first, then the checks."""
        if self.profile is not None:
            bgr = self.profile.apply(bgr)
        return self.observe(as_rgb(bgr), t)

    def observe(self, rgb: np.ndarray, t: float) -> FaceGuidance:
        """Take one frame seen ``t`` seconds after the capture started."""
        if self.finished:
            return FaceGuidance(self.state, (), None, None, None)
        faces = detect(rgb, upsample=1, max_width=PREVIEW_WIDTH)
        lm = landmarks(rgb, faces[0]) if faces else None
        camera = None if self.profile is None else intrinsics_for(rgb.shape[:2], self.profile.camera_matrix,
                                                                   self.profile.image_size)
        checks = check_photo(rgb, faces, lm, camera_matrix=camera)
        if self.state is FaceState.LIVENESS and self.liveness is not None:
            live = self.liveness.observe(Observation(t, lm, rgb.shape[:2], camera))
            if live is LiveState.FAILED:
                self.state = FaceState.LIVENESS_FAILED
            elif live is LiveState.PASSED:
                self.state = FaceState.ADJUSTING
            instruction = self.liveness.instruction if self.state is FaceState.LIVENESS else None
            return FaceGuidance(self.state, tuple(checks), instruction, faces[0] if faces else None, lm)
        if faces and lm is not None:
            frame = _Frame(rgb, faces[0], lm, checks)
            if self.best is None or frame.rank > self.best.rank:
                frame.rgb = rgb.copy()  # kept past this frame: the camera may reuse its buffer
                self.best = frame
            if all(c.passed for c in checks):  # the first frame to pass every check is also the best
                self._captured = self.best
                self.state = FaceState.CAPTURED
        if not self.finished and t >= self.timeout_s:
            self.state = FaceState.TIMED_OUT
        instruction = first_instruction(checks)
        return FaceGuidance(self.state, tuple(checks), instruction, faces[0] if faces else None, lm)

    @property
    def chosen(self) -> _Frame | None:
        """The frame ``result`` will use: the captured one, else the best so far."""
        return None if self.state is FaceState.LIVENESS_FAILED else (self._captured or self.best)

    def capture_now(self) -> None:
        """The officer's manual capture: take the best frame so far (an exception unless it passed)."""
        if self.best is not None and not self.finished:
            self.state = FaceState.CAPTURED if all(c.passed for c in self.best.checks) else FaceState.TIMED_OUT
            if self.state is FaceState.CAPTURED:
                self._captured = self.best

    def result(self, descriptor: np.ndarray | None = None) -> FaceCaptureResult | None:
        """The captured frame, or the best one after a timeout (a quality exception); None if no face.

        ``descriptor`` is the chosen frame's embedding when a worker process already computed it
        (the windows do: dlib holds the GIL for ~0.1 s); otherwise it is computed here.
        """
        frame = self.chosen
        if frame is None:
            return None
        crop = iso_crop(frame.rgb, frame.landmarks)
        if descriptor is None:
            descriptor = encode(frame.rgb, frame.box).descriptor
        eyes_src = np.stack([frame.landmarks[36:42].mean(axis=0), frame.landmarks[42:48].mean(axis=0)])
        eyes = [tuple(int(round(v)) for v in p) for p in crop.project(eyes_src)]
        yaw, pitch, roll = head_pose(frame.landmarks, frame.rgb.shape[:2], None if self.profile is None else
                                     intrinsics_for(frame.rgb.shape[:2], self.profile.camera_matrix,
                                                    self.profile.image_size))
        return FaceCaptureResult(
            jpeg=jpeg(crop), size=(crop.image.shape[1], crop.image.shape[0]),
            eyes=(eyes[0], eyes[1]), embedding=np.asarray(descriptor, np.float32),
            checks=tuple(CheckResult(c.name, c.value, c.limit, c.passed) for c in frame.checks),
            pose=(float(yaw), float(pitch), float(roll)),
            liveness="passed" if self.liveness is not None else "not_required",
            quality_exception=self._captured is None, device=self.device)
