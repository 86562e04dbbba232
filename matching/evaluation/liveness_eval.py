"""APCER / BPCER (ISO/IEC 30107-3) of the liveness challenge, on what the samples allow.

Attack presentations, built from real images and video:
- *photo*: a printed photo held up to the camera: the photo's real landmarks, moved as a
  hand moves (tremor, drift) plus detector jitter, for the whole time limit;
- *frozen*: one real frame sent again and again (a frozen or injected video frame);
- *replay*: a real video clip played to the camera as it is (its landmark track).
Bona fide presentations are semi-synthetic: the real landmarks of each sample face,
with natural sway and detector jitter, and the requested blink and head turn performed
when asked (after a reaction time). No recording of people following the challenge
exists in the samples (the two videos are short, crowded, mostly non-frontal scenes,
usable as replay attacks only), so this BPCER checks the state machine on real face
geometry, not a population of users.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from matching.face.detection import as_rgb, detect
from matching.face.embedding import landmarks
from matching.face.liveness import LivenessChallenge, Observation, State, Step, run
from matching.face.scripted import blink, turned
from matching.images import read_image

FPS = 15


@dataclass(frozen=True)
class Track:
    name: str
    points: list[np.ndarray | None]  # landmarks per frame at FPS
    size: tuple[int, int]


def _landmarks_of(rgb: np.ndarray) -> np.ndarray | None:
    boxes = detect(rgb, upsample=1, max_width=640)
    if not boxes:
        return None
    return landmarks(rgb, boxes[0])


def video_track(path: Path, seconds: float = 10.0) -> Track:
    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
    step = max(1, int(round(fps / FPS)))
    points, size, index = [], (0, 0), 0
    while len(points) < seconds * FPS:
        ok, frame = cap.read()
        if not ok:
            break
        if index % step == 0:
            rgb = as_rgb(frame)
            size = rgb.shape[:2]
            points.append(_landmarks_of(rgb))
        index += 1
    cap.release()
    return Track(path.name, points, size)


def photo_landmarks(paths: list[Path]) -> list[tuple[str, np.ndarray, tuple[int, int]]]:
    out = []
    for path in paths:
        image = read_image(path, "face", cv2.IMREAD_COLOR)  # one over a photo's size is refused, undecoded
        if image is None:
            continue
        rgb = as_rgb(image)
        lm = _landmarks_of(rgb)
        if lm is not None:
            out.append((path.name, lm, rgb.shape[:2]))
    return out


def photo_attack(lm: np.ndarray, size, seed: int, seconds: float) -> list[Observation]:
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(int(seconds * FPS)):
        t = k / FPS
        # a hand holding a photo: slow drift, tremor, a slight tilt of the sheet
        shift = np.array([4 * np.sin(t * 1.3 + seed), 3 * np.cos(t * 0.9 + seed)])
        angle = np.deg2rad(2.0 * np.sin(t * 0.7 + seed))
        c, s = np.cos(angle), np.sin(angle)
        centre = lm.mean(axis=0)
        moved = (lm - centre) @ np.array([[c, -s], [s, c]]).T + centre + shift
        frames.append(Observation(t, moved + rng.normal(0, 0.3, lm.shape), size))
    return frames


def frozen_attack(lm: np.ndarray, size, seconds: float) -> list[Observation]:
    return [Observation(k / FPS, lm.copy(), size) for k in range(int(seconds * FPS))]


def replay_attack(track: Track) -> list[Observation]:
    return [Observation(k / FPS, p, track.size) for k, p in enumerate(track.points)]


def bona_fide(lm: np.ndarray, size, challenge: LivenessChallenge, seed: int,
              reaction: float = 1.0) -> list[Observation]:
    """A person in front of the camera doing each step when asked, after ``reaction`` seconds."""
    rng = np.random.default_rng(seed)
    actions = []
    for step in challenge.steps:
        actions += [lambda p: p] * int(reaction * FPS)
        if step is Step.BLINK:
            actions += [lambda p, c=c: blink(p, c) for c in (0.3, 0.7, 0.95, 0.7, 0.3, 0.0)]
        else:
            left = step is Step.TURN_LEFT
            actions += [lambda p, a=a, left=left: turned(p, left, a)
                        for a in (0.15, 0.3, 0.5, 0.6, 0.6, 0.4, 0.2, 0.0)]
    actions += [lambda p: p] * FPS
    frames = []
    for k, act in enumerate(actions):
        t = k / FPS
        sway = np.array([2 * np.sin(t * 0.8 + seed), 1.5 * np.cos(t * 0.6 + seed)])
        frames.append(Observation(t, act(lm + sway) + rng.normal(0, 0.4, lm.shape), size))
    return frames


def evaluate_liveness(data: Path, seeds: int = 10) -> dict:
    videos = sorted((data / "video").glob("*.mp4"))
    photos = sorted((data / "spoof").rglob("*.jpg")) \
        + sorted((data / "faces" / "DEEPFACE_TESTS").rglob("*.jpg")) \
        + sorted(p for p in (data / "faces" / "FACE_RECOGNITION_EXAMPLES").rglob("*.jpg")
                 if not p.parent.name.startswith("_"))
    if not videos or not photos:
        raise FileNotFoundError(f"liveness samples missing under {data}")
    tracks = [video_track(v) for v in videos]
    stills = photo_landmarks(photos)
    seconds = LivenessChallenge(seed=0).rules.time_limit_s + 1

    def passed(frames, seed) -> bool:
        return run(LivenessChallenge(seed=seed), frames).state is State.PASSED

    attacks = {
        "photo": [passed(photo_attack(lm, size, s, seconds), s) for _, lm, size in stills for s in range(3)],
        "frozen": [passed(frozen_attack(lm, size, seconds), 0) for _, lm, size in stills]
        + [passed(frozen_attack(next(p for p in t.points if p is not None), t.size, seconds), 0)
           for t in tracks],
        "replay": [passed(replay_attack(t), s) for t in tracks for s in range(seeds)],
    }
    genuine = [passed(bona_fide(lm, size, LivenessChallenge(seed=s), s), s)
               for _, lm, size in stills for s in range(3)]
    return {
        "apcer": {kind: float(np.mean(results)) for kind, results in attacks.items()},
        "attacks": {kind: len(results) for kind, results in attacks.items()},
        "apcer_max": float(max(np.mean(r) for r in attacks.values())),
        "bpcer": float(1 - np.mean(genuine)),
        "bona_fide": len(genuine),
        "videos": [t.name for t in tracks],
        "photos": len(stills),
    }
