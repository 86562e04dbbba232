"""Synthetic persons for the identification benchmark: a face vector and ten finger templates each,
made directly (not rendered and extracted), and a second capture of any of them.

The benchmark measures time and memory at a scale no real corpus here reaches (a million finger
templates), and whether the first stage still hands the true mate to the full matcher. Rendering and
extracting a million prints would take days, so templates are drawn the way prints are built: a
smooth ridge orientation field with a core, an elliptical print of ZFM size (256×288 at 500 dpi), a
few dozen minutiae spread over it (one at most per 16-px cell, a ridge apart) pointing along the ridges either way, and
the field on the template's 16-px flow grid. A second capture is the same finger moved and turned on
the glass (±15°, ±20 px), its minutiae jittered (2 px, 5°), a sixth of them lost and a few spurious
ones found. Accuracy is not measured on these (``eval identification`` does that on real prints).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from matching.fingerprint.ridge_flow import OUTSIDE, STEP, RidgeFlow
from matching.fingerprint.template import Template
from matching.gallery import Biometrics

WIDTH, HEIGHT = 256, 288  # the ZFM image
POSITIONS = tuple(range(1, 11))  # ISO finger positions: right thumb .. left little
MIN_SPACING = 8.0  # px at least between minutiae (about a ridge period at 500 dpi)
CELL = 16  # px: the grid of cells that each hold one minutia at most


_CELLS = np.column_stack([a.ravel() for a in np.meshgrid(np.arange(WIDTH // CELL) * CELL,
                                                         np.arange(HEIGHT // CELL) * CELL)]).astype(float)
_GRID = np.meshgrid(np.arange(WIDTH // STEP) * STEP + STEP / 2, np.arange(HEIGHT // STEP) * STEP + STEP / 2)


def _field(rng: np.random.Generator):
    """A ridge orientation field (radians, 0–π) over the image: a core's half-turn plus a slow bend."""
    cx, cy = rng.uniform(90, 166), rng.uniform(100, 180)
    bend = rng.normal(0, 0.4, size=4)

    def angle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u, v = (x - WIDTH / 2) / WIDTH, (y - HEIGHT / 2) / HEIGHT
        core = 0.5 * np.arctan2(y - cy, x - cx)
        return np.mod(core + bend[0] * u + bend[1] * v + bend[2] * u * v + bend[3] * u * u + np.pi / 2, np.pi)

    return angle


def _inside(x: np.ndarray, y: np.ndarray, a: float, b: float) -> np.ndarray:
    return ((x - WIDTH / 2) / a) ** 2 + ((y - HEIGHT / 2) / b) ** 2 <= 1


def synthetic_finger(rng: np.random.Generator) -> Template:
    """One finger no one else has, as its template (minutiae and flow)."""
    angle = _field(rng)
    a, b = rng.uniform(95, 125), rng.uniform(115, 140)
    wanted = int(np.clip(rng.normal(38, 10), 12, 70))
    # one minutia at most per CELL-px cell, kept off the cell's edges: at least MIN_SPACING apart
    xy = _CELLS + rng.uniform(MIN_SPACING / 2, CELL - MIN_SPACING / 2, size=_CELLS.shape)
    xy = xy[_inside(xy[:, 0], xy[:, 1], a - 8, b - 8)]
    xy = xy[rng.permutation(len(xy))[:wanted]]
    direction = angle(xy[:, 0], xy[:, 1]) + np.pi * rng.integers(0, 2, len(xy))
    direction = np.arctan2(np.sin(direction), np.cos(direction))
    minutiae = np.column_stack([np.round(xy), direction, rng.integers(1, 3, len(xy)),
                                rng.integers(40, 91, len(xy))])
    gx, gy = _GRID
    degrees = np.round(np.degrees(angle(gx, gy))).astype(int) % 180
    on = _inside(gx, gy, a, b)
    flow = RidgeFlow(np.where(on, degrees, OUTSIDE).astype(np.uint8),
                     np.where(on, rng.integers(150, 230, on.shape), 0).astype(np.uint8))
    return Template(width=WIDTH, height=HEIGHT, minutiae=minutiae, quality=int(rng.integers(40, 90)), flow=flow)


def second_capture(template: Template, rng: np.random.Generator) -> Template:
    """The same finger laid on the glass again: moved, turned, jittered, some minutiae lost, some found."""
    turn, shift = np.radians(rng.uniform(-15, 15)), rng.uniform(-20, 20, size=2)
    cos, sin = np.cos(turn), np.sin(turn)
    centre = np.array([WIDTH / 2, HEIGHT / 2])
    m = template.minutiae
    m = m[rng.uniform(size=len(m)) >= 1 / 6].copy()
    xy = (m[:, :2] - centre) @ np.array([[cos, sin], [-sin, cos]]) + centre + shift
    xy += rng.normal(0, 2.0, size=xy.shape)
    m[:, :2] = np.round(xy)
    m[:, 2] = np.arctan2(np.sin(m[:, 2] + turn + rng.normal(0, np.radians(5), len(m))),
                         np.cos(m[:, 2] + turn + rng.normal(0, np.radians(5), len(m))))
    spurious = max(1, len(m) // 12)
    extra = np.column_stack([rng.uniform(40, WIDTH - 40, spurious), rng.uniform(40, HEIGHT - 40, spurious),
                             rng.uniform(-np.pi, np.pi, spurious), rng.integers(1, 3, spurious),
                             rng.integers(20, 60, spurious)])
    extra[:, :2] = np.round(extra[:, :2])
    m = np.vstack([m, extra])
    on_glass = (m[:, 0] >= 0) & (m[:, 0] < WIDTH) & (m[:, 1] >= 0) & (m[:, 1] < HEIGHT)
    flow = template.flow
    if flow is not None:  # the grid turned and moved with the finger (nearest grid point of the first capture)
        rows, cols = flow.angle.shape
        gx, gy = np.meshgrid(np.arange(cols) * STEP + STEP / 2, np.arange(rows) * STEP + STEP / 2)
        back = (np.stack([gx - shift[0], gy - shift[1]], axis=-1) - centre) @ np.array([[cos, -sin], [sin, cos]])
        back += centre
        c = np.clip(np.floor(back[..., 0] / STEP).astype(int), -1, cols)
        r = np.clip(np.floor(back[..., 1] / STEP).astype(int), -1, rows)
        inside = (c >= 0) & (c < cols) & (r >= 0) & (r < rows)
        source = flow.angle[np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)]
        on = inside & (source != OUTSIDE)
        turned = (source.astype(int) + int(round(np.degrees(turn)))) % 180
        flow = RidgeFlow(np.where(on, turned, OUTSIDE).astype(np.uint8),
                         np.where(on, flow.coherence[np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)], 0))
    return replace(template, minutiae=m[on_glass], flow=flow)


def synthetic_face(rng: np.random.Generator) -> np.ndarray:
    """A face vector of the embedding's size and scale (unit-free: the benchmark times, it does not decide)."""
    v = rng.normal(size=128)
    return (0.6 * v / np.linalg.norm(v)).astype(np.float32)


def synthetic_person(index: int, seed: int = 0) -> Biometrics:
    """Person ``index``: the same face and fingers for the same index and seed, in any process."""
    rng = np.random.default_rng([seed, index])
    return Biometrics(synthetic_face(rng), {position: synthetic_finger(rng) for position in POSITIONS})


def second_record(person: Biometrics, rng: np.random.Generator) -> Biometrics:
    """The person applying again: a face vector close to the first, each finger captured again."""
    face = person.face + rng.normal(0, 0.01, size=128).astype(np.float32) if person.face is not None else None
    return Biometrics(face, {position: second_capture(t, rng) for position, t in person.fingers.items()})
