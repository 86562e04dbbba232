"""The liveness challenge on scripted landmark sequences (the kiosk feeds it the same way)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from domain.catalog import messages
from matching.face.detection import as_rgb, detect
from matching.face.embedding import landmarks
from matching.face.liveness import LivenessChallenge, Observation, State, Step, run
from matching.face.scripted import follow

FPS = 15


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    rgb = as_rgb(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    return landmarks(rgb, max(detect(rgb), key=lambda b: b.score))


def jitter(lm, rng, px=0.4):
    return lm + rng.normal(0, px, lm.shape)


def live_person(lm, challenge, seed=0):
    """A person who does what the screen says, with natural jitter."""
    return [Observation(t, points, (512, 512)) for t, points in follow(lm, challenge.steps, FPS, seed)]


def test_the_challenge_is_seeded_and_varies():
    a, b = LivenessChallenge(seed=1), LivenessChallenge(seed=1)
    assert a.steps == b.steps
    variants = {tuple(LivenessChallenge(seed=s).steps) for s in range(40)}
    assert len(variants) == 4  # blink first or second, turn left or right
    assert a.instruction in messages("en") and a.instruction in messages("id")


@pytest.mark.parametrize("seed", range(6))
def test_a_live_person_following_instructions_passes(face, seed):
    challenge = LivenessChallenge(seed=seed)
    run(challenge, live_person(face, challenge, seed))
    assert challenge.state is State.PASSED


def test_turning_the_wrong_way_does_not_pass(face):
    challenge = LivenessChallenge(seed=3)
    wrong = LivenessChallenge(seed=3)
    wrong.steps = [Step.TURN_RIGHT if s is Step.TURN_LEFT else Step.TURN_LEFT if s is Step.TURN_RIGHT
                   else s for s in challenge.steps]
    frames = live_person(face, wrong)  # does the opposite turn
    rng = np.random.default_rng(9)
    t = frames[-1].t
    frames += [Observation(t + k / FPS, jitter(face, rng), (512, 512)) for k in range(1, 200)]
    run(challenge, frames)
    assert challenge.state is State.FAILED and challenge.reason == "liveness.timeout"


def test_a_photo_held_up_moves_but_never_blinks(face):
    rng = np.random.default_rng(4)
    challenge = LivenessChallenge(seed=2)
    frames = []
    for k in range(int(12 * FPS)):
        shift = np.array([3 * np.sin(k / 5), 2 * np.cos(k / 7)])  # hand tremor
        frames.append(Observation(k / FPS, jitter(face + shift, rng, 0.2), (512, 512)))
    run(challenge, frames)
    assert challenge.state is State.FAILED
    assert challenge.reason == "liveness.timeout"


def test_a_frozen_frame_fails_fast(face):
    challenge = LivenessChallenge(seed=5)
    frames = [Observation(k / FPS, face.copy(), (512, 512)) for k in range(60)]
    run(challenge, frames)
    assert challenge.state is State.FAILED and challenge.reason == "liveness.frozen"
    assert challenge.reason in messages("id")


def test_no_face_then_timeout():
    challenge = LivenessChallenge(seed=0)
    run(challenge, [Observation(k / FPS, None) for k in range(int(11 * FPS))])
    assert challenge.state is State.FAILED and challenge.reason == "liveness.timeout"
