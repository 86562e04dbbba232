"""Active liveness: a challenge (blink, and a head turn in a random direction) read from landmarks.

A still photo cannot blink, and a replayed or frozen frame does not move at all, so
both fail; a person who does what the screen asks passes within the time limit. The
challenge takes a seed (so a kiosk test can script it) and is fed observations one
frame at a time, from any landmark source: the camera, a video, or a scripted list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .parameters import LivenessRules
from .pose import eye_aspect_ratio, head_pose


class Step(Enum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"  # the applicant's own left
    TURN_RIGHT = "turn_right"


class State(Enum):
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True)
class Observation:
    t: float  # seconds since the challenge started
    landmarks: np.ndarray | None  # (68, 2), None when no face was found in the frame
    image_size: tuple[int, int] = (480, 640)
    camera_matrix: np.ndarray | None = None  # the calibrated camera's, for the head pose (pose.head_pose)


@dataclass
class LivenessChallenge:
    seed: int
    rules: LivenessRules = field(default_factory=LivenessRules)

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        turn = rng.choice([Step.TURN_LEFT, Step.TURN_RIGHT])
        self.steps: list[Step] = [Step.BLINK, turn] if rng.random() < 0.5 else [turn, Step.BLINK]
        self.state = State.RUNNING
        self.reason: str | None = None  # catalog id of why it failed
        self._done = 0
        self._open_baseline: float | None = None
        self._eyes_closed = False
        self._last: np.ndarray | None = None
        self._still_frames = 0
        self._yaw_seen: list[float] = []  # the first frames' yaw: this person's "straight ahead"

    @property
    def current(self) -> Step | None:
        return self.steps[self._done] if self.state is State.RUNNING else None

    @property
    def instruction(self) -> str | None:
        """Catalog id of what the applicant must do now."""
        return f"liveness.do.{self.current.value}" if self.current else None

    def _fail(self, reason: str) -> State:
        self.state, self.reason = State.FAILED, reason
        return self.state

    def observe(self, obs: Observation) -> State:
        if self.state is not State.RUNNING:
            return self.state
        if obs.t > self.rules.time_limit_s:
            return self._fail("liveness.timeout")
        lm = obs.landmarks
        if lm is None:
            return self.state
        if self._last is not None and np.abs(lm - self._last).max() < self.rules.frozen_px:
            self._still_frames += 1
            if self._still_frames >= self.rules.frozen_frames:
                return self._fail("liveness.frozen")
        else:
            self._still_frames = 0
        self._last = lm
        step = self.current
        # yaw relative to how this person first faced the camera: the generic 3-D model
        # reads a few degrees off for many faces, and a kiosk camera may sit to one side of the
        # screen; where the face sits in the frame does not count (the pose is read against the
        # line of sight), so a photo slid across the frame is no turn
        raw_yaw, _, _ = head_pose(lm, obs.image_size, obs.camera_matrix)
        if len(self._yaw_seen) < self.rules.baseline_frames:
            self._yaw_seen.append(raw_yaw)
        yaw = raw_yaw - float(np.median(self._yaw_seen))
        if step is Step.BLINK:
            if abs(yaw) > self.rules.frontal_deg:
                return self.state  # eye shapes are only comparable on a frontal face
            ear = eye_aspect_ratio(lm)
            # the open-eye baseline is a running average, steady against landmark jitter
            if self._open_baseline is None:
                self._open_baseline = ear
            elif not self._eyes_closed and ear > self.rules.closed_ratio * self._open_baseline:
                self._open_baseline = 0.8 * self._open_baseline + 0.2 * ear
            if not self._eyes_closed and ear < self.rules.closed_ratio * self._open_baseline:
                self._eyes_closed = True
            elif self._eyes_closed and ear > self.rules.reopened_ratio * self._open_baseline:
                self._advance()
        else:
            # yaw > 0: turned towards the image's right, which is the applicant's own left
            wanted = yaw if step is Step.TURN_LEFT else -yaw
            if wanted > self.rules.turn_deg:
                self._advance()
        return self.state

    def _advance(self) -> None:
        self._done += 1
        self._eyes_closed = False
        if self._done == len(self.steps):
            self.state = State.PASSED


def run(challenge: LivenessChallenge, observations) -> LivenessChallenge:
    """Feed a whole sequence (a scripted source) until the challenge ends or it runs out."""
    for obs in observations:
        if challenge.observe(obs) is not State.RUNNING:
            break
    return challenge
