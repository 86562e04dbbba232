"""The ridge flow of a print, kept beside its minutiae, and how well two flows agree.

Minutiae say where ridges end and split; between them a print still carries its ridge
orientation everywhere. Two impressions of one finger, laid on each other by the
matcher's alignment, run their ridges the same way wherever both show the finger; two
fingers that happen to share a few similar minutia neighbourhoods mostly do not. The
template keeps the orientation on a 16-px grid (two bytes a grid point: an angle in
degrees and a coherence), the matcher lays one grid on the other under each of its best
alignments and scores the agreement.

Only disagreement it can trust lowers a score: each grid point counts by the lower of
its two coherences (smudged or scarred areas say little), and the whole factor fades
out when the overlap's mean coherence is low, so a poor print is judged on its minutiae
alone rather than punished for its blur. Each point takes its best agreement among
the other print's nearest point and that point's eight neighbours, which forgives the 10–20 px
by which skin stretches between impressions (FVC2004 DB1 needs it). Measured on the 22
FVC runs of ``make eval`` (docs/decisions.md, "the ridge flow beside the minutiae").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from .parameters import FLOW_COHERENCE_BLUR, FLOW_EDGE_ERODE
from .parameters import FLOW_FADE_HIGH as FADE_HIGH
from .parameters import FLOW_FADE_LOW as FADE_LOW
from .parameters import FLOW_POWER as POWER
from .parameters import FLOW_REACH as REACH

# The grid is part of the template's format (the ISO record's flow area holds it as it is):
STEP = 16  # px at 500 dpi between grid points; ridge orientation barely turns within it
OUTSIDE = 255  # angle code of a grid point off the finger


@dataclass(frozen=True)
class RidgeFlow:
    """Ridge orientation on a grid of points ``STEP`` px apart, the first at ``STEP / 2``.

    ``angle`` is in whole degrees 0–179 (image coordinates, y down), ``OUTSIDE`` off the
    finger; ``coherence`` is 0–255 for 0–1. Bytes, so that what the ISO record stores
    is exactly what the matcher compares.
    """

    angle: np.ndarray  # (rows, cols) uint8
    coherence: np.ndarray  # (rows, cols) uint8

    def __post_init__(self) -> None:
        angle = np.asarray(self.angle, np.uint8)
        coherence = np.asarray(self.coherence, np.uint8)
        if angle.ndim != 2 or angle.shape != coherence.shape:
            raise ValueError("a ridge flow needs two grids of one 2-D shape")
        object.__setattr__(self, "angle", angle)
        object.__setattr__(self, "coherence", coherence)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RidgeFlow) and np.array_equal(self.angle, other.angle)
                and np.array_equal(self.coherence, other.coherence))

    __hash__ = None  # type: ignore[assignment]


def ridge_flow(orientation: np.ndarray, coherence: np.ndarray, mask: np.ndarray) -> RidgeFlow:
    """The flow grid of one extraction's orientation field, coherence and foreground.

    Coherence is averaged over about a block first (one noisy pixel should not speak
    for 256), and the foreground is shrunk by a few pixels so that the grid keeps no
    point whose orientation was estimated half off the finger.
    """
    h, w = mask.shape
    ys, xs = np.arange(STEP // 2, h, STEP), np.arange(STEP // 2, w, STEP)
    inside = cv2.erode(mask.astype(np.uint8), np.ones((FLOW_EDGE_ERODE, FLOW_EDGE_ERODE), np.uint8))[np.ix_(ys, xs)] > 0
    degrees = np.round(np.degrees(orientation[np.ix_(ys, xs)])).astype(int) % 180
    blurred = cv2.GaussianBlur(coherence.astype(np.float32), (0, 0), FLOW_COHERENCE_BLUR)[np.ix_(ys, xs)]
    return RidgeFlow(np.where(inside, degrees, OUTSIDE).astype(np.uint8),
                     np.round(np.clip(blurred, 0, 1) * 255).astype(np.uint8))


_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]


@dataclass(frozen=True)
class FlowGrid:
    """A ``RidgeFlow`` decoded once per template, laid out for comparisons.

    Orientation is kept as doubled-angle unit vectors, so that agreement with a turned
    angle ``t`` is a dot product: ``cos 2(θa − t) = cos 2θa cos 2t + sin 2θa sin 2t``.
    ``around`` holds, for every grid point, those vectors of the point and its eight
    neighbours and a penalty that keeps a neighbour off the finger from ever being the
    best: 27 rows, so that a comparison gathers all it needs in one ``take`` (a gather
    along the short axis, or nine of them, cost three times as much). Only the first
    template of a comparison reads it, so it is built the first time it is asked for:
    a 1:N gallery, whose templates are always the second, never holds it (it would be
    as large as the template's cylinders).
    """

    flow: RidgeFlow
    weight: np.ndarray  # (rows * cols,) coherence 0–1, 0 off the finger
    inside: np.ndarray  # (rows * cols,) bool
    shape: tuple[int, int]  # rows, cols
    points: np.ndarray  # (k, 2) x, y of the grid points on the finger
    point_cos2: np.ndarray  # (k,) their doubled-angle vectors and coherences
    point_sin2: np.ndarray
    point_weight: np.ndarray

    @cached_property
    def padded(self) -> np.ndarray:
        """(rows + 2, cols + 2, 3): each grid point's cos 2θ, sin 2θ and penalty (0 on the finger, -3
        off it), in a border of points off the finger. The compiled comparison reads a point's 3 × 3
        neighbours from it: a ninth of ``around``'s size, so it stays in the nearest cache."""
        rows, cols = self.shape
        inside = self.inside.reshape(rows, cols)
        doubled = 2 * np.radians(self.flow.angle.astype(np.float64))
        padded = np.empty((rows + 2, cols + 2, 3))
        padded[:, :, 0] = np.pad(np.where(inside, np.cos(doubled), 0.0), 1)
        padded[:, :, 1] = np.pad(np.where(inside, np.sin(doubled), 0.0), 1)
        padded[:, :, 2] = np.pad(np.where(inside, 0.0, -3.0), 1, constant_values=-3.0)
        return padded

    @cached_property
    def around(self) -> np.ndarray:
        """(27, rows * cols): cos 2θ of the point and its 8 neighbours, sin 2θ, penalties."""
        rows, cols = self.shape
        shifted = [self.padded[1 + dy : 1 + dy + rows, 1 + dx : 1 + dx + cols, v].reshape(-1)
                   for v in range(3) for dy, dx in _OFFSETS]
        return np.array(shifted).reshape(27, rows * cols)


def flow_grid(flow: RidgeFlow) -> FlowGrid:
    rows, cols = flow.angle.shape
    inside = flow.angle != OUTSIDE
    doubled = 2 * np.radians(flow.angle.astype(np.float64))
    weight = np.where(inside, flow.coherence / 255.0, 0.0)
    r, c = np.nonzero(inside)
    points = np.column_stack([c * STEP + STEP // 2, r * STEP + STEP // 2]).astype(np.float64)
    return FlowGrid(flow, weight.reshape(-1), inside.reshape(-1), (rows, cols), points,
                    np.cos(doubled[r, c]), np.sin(doubled[r, c]), weight[r, c])


def flow_factors(a: FlowGrid, b: FlowGrid, rotations: np.ndarray, shifts: np.ndarray,
                 anchors: np.ndarray) -> np.ndarray:
    """How far the flows' disagreement lowers a score under each of k alignments, (k,).

    Each factor is in (0, 1], and 1 where there is nothing to judge. Under alignment j,
    B's grid points within ``REACH`` of ``anchors[j]`` (a point of B's frame: distances
    do not change under the transform, so the points are chosen before it) are carried
    into A's frame by ``x_a = R(rotations[j]) x_b + shifts[j]`` and compared with A's.
    All k alignments are compared at once: the call overhead of the few dozen array
    operations, not their size, is what a comparison would otherwise pay for.
    """
    k = len(rotations)
    rows, cols = a.shape
    if len(b.points) == 0 or k == 0 or rows * cols == 0:
        return np.ones(k)
    bx, by = b.points[:, 0], b.points[:, 1]
    which, point = np.nonzero((bx - anchors[:, 0, None]) ** 2 + (by - anchors[:, 1, None]) ** 2
                              <= REACH * REACH)  # alignment and B point of each pair
    c, s = np.cos(rotations)[which], np.sin(rotations)[which]
    px, py = bx[point], by[point]
    col = np.rint((c * px - s * py + shifts[which, 0] - STEP // 2) / STEP)
    row = np.rint((s * px + c * py + shifts[which, 1] - STEP // 2) / STEP)
    on = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    which, point = which[on], point[on]
    centre = (row[on] * cols + col[on]).astype(np.intp)
    keep = a.inside[centre]
    which, point, centre = which[keep], point[keep], centre[keep]
    weight = np.minimum(a.weight[centre], b.point_weight[point])
    # B's angles turned by each alignment's rotation, as doubled-angle vectors
    c2, s2 = np.cos(2 * rotations)[which], np.sin(2 * rotations)[which]
    tc = b.point_cos2[point] * c2 - b.point_sin2[point] * s2
    ts = b.point_sin2[point] * c2 + b.point_cos2[point] * s2
    near = a.around.take(centre, axis=1).reshape(3, 9, -1)
    best = (near[0] * tc + near[1] * ts + near[2]).max(axis=0)  # the point's best of nine
    total = np.bincount(which, weight, minlength=k)
    count = np.bincount(which, minlength=k)
    agreement = np.bincount(which, best * weight, minlength=k) / np.maximum(total, 1e-12)
    # clipped to [0, 1] by two ufuncs: np.clip costs more than the rest of the line on k = 3
    fade = np.minimum(np.maximum((total / np.maximum(count, 1) - FADE_LOW) / (FADE_HIGH - FADE_LOW), 0), 1)
    return np.where(total > 0, ((1 + agreement) / 2) ** (POWER * fade), 1.0)
