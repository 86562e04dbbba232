"""Synthetic fingers in the manner of SFinGe (Cappelli, Maio, Maltoni).

A *master* fingerprint is grown from noise by iterated Gabor filtering along an
orientation field built from singular points (the Sherlock–Monro zero-pole model);
*impressions* of it are then made the way a sensor sees a finger: displaced,
rotated, elastically distorted, pressed harder or softer, drier or wetter, noisy.
They stand in for real fingers wherever a test must not depend on ``../shared``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

RIDGE_PERIOD = 9.0  # pixels at 500 dpi
MASTER_SHAPE = (400, 320)  # rows, cols
N_ORIENT_BINS = 24


@dataclass(frozen=True)
class MasterFinger:
    ridges: np.ndarray  # float32 in [-1, 1], ridges positive
    mask: np.ndarray  # bool, the finger's contact area
    orientation: np.ndarray  # ridge orientation in radians, [0, pi)
    minutiae: np.ndarray  # (n, 4): x, y, direction (rad), kind (1 ending, 2 bifurcation)


# Pattern classes a library of synthetic fingers takes in turn (``write_synthetic_fingers``):
# two synthetic masters of one class are far more alike than two real fingers (their minutiae
# sit where the flow forces ridges to split or end), so a small library of one class would have
# impostor pairs no real sensor sees (docs/accuracy.md, "Synthetic fingers").
PATTERN_CYCLE = ("left_loop", "whorl", "right_loop", "arch", "double_loop")


def _orientation_field(shape: tuple[int, int], rng: np.random.Generator,
                       kind: str | None = None) -> np.ndarray:
    """Zero-pole model: cores add +1/2 arg(z - core), deltas -1/2 arg(z - delta).
    ``kind`` is one of ``PATTERN_CYCLE``, or None for a class drawn at random."""
    h, w = shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    z = x + 1j * y
    if kind is None:
        kind = str(rng.choice(PATTERN_CYCLE))
    cx, cy = w / 2 + rng.uniform(-25, 25), h * 0.42 + rng.uniform(-25, 25)
    cores: list[complex] = []
    deltas: list[complex] = []
    if kind in ("left_loop", "right_loop"):
        side = -1 if kind == "left_loop" else 1
        cores.append(complex(cx, cy))
        deltas.append(complex(cx + side * rng.uniform(80, 120), cy + rng.uniform(110, 160)))
    elif kind == "whorl":
        cores += [complex(cx, cy - 15), complex(cx, cy + 15)]
        deltas += [complex(cx - 120, cy + 140), complex(cx + 120, cy + 140)]
    elif kind == "double_loop":
        cores += [complex(cx - 20, cy - 20), complex(cx + 20, cy + 20)]
        deltas += [complex(cx - 130, cy + 130), complex(cx + 130, cy - 40 + 200)]
    else:  # arch: no singular point inside the finger, a gentle bow
        cores.append(complex(cx, cy - 400))
        deltas.append(complex(cx, cy + 500))
    # each singular point moved on its own, so that two masters of one class differ in shape,
    # not only in where the pattern sits
    cores = [c + complex(*rng.uniform(-20, 20, 2)) for c in cores]
    deltas = [d + complex(*rng.uniform(-40, 40, 2)) for d in deltas]
    theta = np.zeros(shape)
    for c in cores:
        theta += 0.5 * np.angle(z - c)
    for d in deltas:
        theta -= 0.5 * np.angle(z - d)
    theta += rng.uniform(-0.15, 0.15)
    return np.mod(theta, np.pi)


def _gabor_bank(period: float, n_bins: int) -> list[np.ndarray]:
    sigma = period * 0.45
    half = int(round(3 * sigma))
    y, x = np.mgrid[-half : half + 1, -half : half + 1].astype(np.float64)
    bank = []
    for i in range(n_bins):
        t = np.pi * i / n_bins  # ridge direction
        # wave runs across the ridges, i.e. along the normal to the ridge direction
        xn = -x * np.sin(t) + y * np.cos(t)
        k = np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * xn / period)
        k -= k.mean()
        bank.append((k / np.abs(k).sum()).astype(np.float32))
    return bank


def _finger_mask(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    h, w = shape
    mask = np.zeros(shape, np.uint8)
    center = (w // 2 + int(rng.integers(-8, 9)), h // 2 + int(rng.integers(-8, 9)))
    axes = (int(w * rng.uniform(0.40, 0.47)), int(h * rng.uniform(0.44, 0.49)))
    cv2.ellipse(mask, center, axes, 0, 0, 360, 1, -1)
    return mask.astype(bool)


def grow_ridges(orientation: np.ndarray, period: float, rng: np.random.Generator,
                iterations: int = 14) -> np.ndarray:
    """Iterated orientation-steered Gabor filtering turns noise into a ridge pattern."""
    bank = _gabor_bank(period, N_ORIENT_BINS)
    bins = np.round(orientation / np.pi * N_ORIENT_BINS).astype(int) % N_ORIENT_BINS
    img = rng.standard_normal(orientation.shape).astype(np.float32) * 0.1
    for _ in range(iterations):
        out = np.zeros_like(img)
        for i, k in enumerate(bank):
            sel = bins == i
            if sel.any():
                out[sel] = cv2.filter2D(img, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)[sel]
        img = np.clip(out * 6.0, -1.0, 1.0)
    return img


def make_master(rng: np.random.Generator, shape: tuple[int, int] = MASTER_SHAPE,
                kind: str | None = None) -> MasterFinger:
    from .minutiae import minutiae_from_binary  # late import: synth is used by the extractor tests

    orientation = _orientation_field(shape, rng, kind)
    period = RIDGE_PERIOD * rng.uniform(0.85, 1.15)
    ridges = grow_ridges(orientation, period, rng)
    mask = _finger_mask(shape, rng)
    minutiae = minutiae_from_binary(ridges > 0, mask, orientation)
    return MasterFinger(ridges=ridges, mask=mask, orientation=orientation, minutiae=minutiae)


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, scale: float,
                  amplitude: float) -> np.ndarray:
    small = rng.standard_normal((max(2, int(shape[0] / scale)), max(2, int(shape[1] / scale))))
    field = cv2.resize(small.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)
    return field * amplitude


def make_impression(master: MasterFinger, rng: np.random.Generator,
                    out_shape: tuple[int, int] = (360, 300),
                    difficulty: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One impression: returns the 8-bit image (dark ridges on white) and its minutiae.

    ``difficulty`` scales displacement, rotation, distortion and noise; 1.0 is a
    careful but ordinary placement on an optical sensor.
    """
    h, w = master.ridges.shape
    oh, ow = out_shape
    angle = rng.uniform(-12, 12) * difficulty
    dx, dy = rng.uniform(-20, 20, size=2) * difficulty
    # affine: rotate about the master's centre, place it at the output centre with a shift
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[0, 2] += (ow - w) / 2 + dx
    m[1, 2] += (oh - h) / 2 + dy
    inv = cv2.invertAffineTransform(m)
    # elastic distortion: a smooth displacement field, strongest away from the contact centre
    yy, xx = np.mgrid[0:oh, 0:ow].astype(np.float32)
    ex = _smooth_field(out_shape, rng, 80, 3.0 * difficulty)
    ey = _smooth_field(out_shape, rng, 80, 3.0 * difficulty)
    map_x = (inv[0, 0] * (xx + ex) + inv[0, 1] * (yy + ey) + inv[0, 2]).astype(np.float32)
    map_y = (inv[1, 0] * (xx + ex) + inv[1, 1] * (yy + ey) + inv[1, 2]).astype(np.float32)
    ridges = cv2.remap(master.ridges, map_x, map_y, cv2.INTER_LINEAR, borderValue=-1.0)
    mask = cv2.remap(master.mask.astype(np.uint8), map_x, map_y, cv2.INTER_NEAREST, borderValue=0)
    # contact area: pressure shrinks or grows the print, and a part may be off the sensor
    pressure = rng.uniform(-0.25, 0.25)
    contact = cv2.erode(mask, np.ones((9, 9), np.uint8), iterations=int(rng.integers(0, 3)))
    # dryness/wetness: thin or thicken ridges by moving the binarising level
    level = pressure + _smooth_field(out_shape, rng, 60, 0.15)
    print_ = np.clip((ridges + level) * 2.5, -1, 1)
    # dry skin breaks ridges into dots; noise and blur as a sensor adds them
    dry = rng.uniform(0, 0.35) * difficulty
    print_ -= (rng.random(out_shape) < dry * 0.2).astype(np.float32) * 1.2
    print_ = cv2.GaussianBlur(print_.astype(np.float32), (0, 0), rng.uniform(0.6, 1.2))
    contrast = rng.uniform(0.55, 0.9)
    gray = 255.0 - (print_ + 1) / 2 * 255.0 * contrast
    background = rng.uniform(215, 250)
    gray = np.where(contact > 0, gray - (255 - background) * 0.5, background)
    gray += rng.normal(0, 6 * difficulty, out_shape)
    gray = cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 0.6)
    image = np.clip(gray, 0, 255).astype(np.uint8)
    # ground truth: master minutiae through the rigid part of the transform, inside the contact
    pts = master.minutiae
    if len(pts):
        xy = pts[:, :2] @ m[:, :2].T + m[:, 2]
        direction = np.mod(pts[:, 2] - np.deg2rad(angle), 2 * np.pi)
        xi = np.clip(np.round(xy[:, 0]).astype(int), 0, ow - 1)
        yi = np.clip(np.round(xy[:, 1]).astype(int), 0, oh - 1)
        inside = (xy[:, 0] >= 0) & (xy[:, 0] < ow) & (xy[:, 1] >= 0) & (xy[:, 1] < oh)
        inside &= contact[yi, xi] > 0
        truth = np.column_stack([xy, direction, pts[:, 3]])[inside]
    else:
        truth = np.zeros((0, 4))
    return image, truth


def write_synthetic_fingers(out: Path, fingers: int, impressions: int, seed: int = 0,
                            progress=None) -> list[Path]:
    """Write ``<finger>_<impression>.png`` plus ``.json`` ground-truth minutiae beside each."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for f in range(1, fingers + 1):
        rng = np.random.default_rng([seed, f])
        # the cycle starts where the seed says, so that two libraries (a station's own and a
        # stranger's) do not line up class for class
        master = make_master(rng, kind=PATTERN_CYCLE[(seed + f - 1) % len(PATTERN_CYCLE)])
        for i in range(1, impressions + 1):
            image, truth = make_impression(master, np.random.default_rng([seed, f, i]))
            path = out / f"{f:03d}_{i}.png"
            cv2.imwrite(str(path), image)
            path.with_suffix(".json").write_text(json.dumps({
                "dpi": 500,
                "minutiae": [
                    {"x": round(float(x), 1), "y": round(float(y), 1),
                     "direction": round(float(d), 4), "kind": "ending" if k == 1 else "bifurcation"}
                    for x, y, d, k in truth
                ],
            }, indent=1))
            written.append(path)
            if progress:
                progress(1)
    return written
