"""Scripted landmark edits: a face that blinks or turns, for liveness sequences without a camera.

The kiosk's tests and the liveness evaluation feed the challenge these instead of
camera frames; the edits are the geometry a real blink or head turn gives the
68-point landmarks.
"""

from __future__ import annotations

import numpy as np


def blink(landmarks: np.ndarray, closedness: float) -> np.ndarray:
    """Both eyelids closed by ``closedness`` (0 open, 1 shut)."""
    out = landmarks.copy()
    for eye in (slice(36, 42), slice(42, 48)):
        centre = landmarks[eye, 1].mean()
        out[eye, 1] = centre + (landmarks[eye, 1] - centre) * (1 - closedness)
    return out


def turned(landmarks: np.ndarray, towards_own_left: bool, amount: float) -> np.ndarray:
    """The head turned: the far half of the face foreshortens by ``amount``.

    Turning towards the applicant's own left (the image's right) shrinks the
    image-right half of the face, and the other way round.
    """
    out = landmarks.copy()
    nose = landmarks[30, 0]
    far = out[:, 0] > nose if towards_own_left else out[:, 0] < nose
    out[far, 0] = nose + (out[far, 0] - nose) * (1 - amount)
    return out


def follow(landmarks: np.ndarray, steps, fps: float = 15.0, seed: int = 0, jitter_px: float = 0.4):
    """(t, landmarks) of a person doing what a challenge asks, in order, with natural jitter.

    ``steps`` are the challenge's steps (``liveness.Step``): a blink closes and reopens the
    eyes over seven frames, a turn foreshortens the far half of the face and comes back.
    """
    from .liveness import Step

    rng = np.random.default_rng(seed)
    out, t = [], 0.0

    def emit(points: np.ndarray) -> None:
        nonlocal t
        out.append((t, points + rng.normal(0, jitter_px, points.shape)))
        t += 1 / fps

    for _ in range(8):
        emit(landmarks)
    for step in steps:
        if step is Step.BLINK:
            for c in (0.3, 0.7, 0.9, 0.7, 0.3, 0.0, 0.0):
                emit(blink(landmarks, c))
        else:
            for a in (0.1, 0.25, 0.45, 0.6, 0.6, 0.3, 0.0):
                emit(turned(landmarks, step is Step.TURN_LEFT, a))
    return out
