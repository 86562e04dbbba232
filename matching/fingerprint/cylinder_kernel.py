"""``cylinder.make_cylinders`` compiled: the cylinders' cells as loops over (s, t, cell).

The NumPy reference (``cylinder.make_cylinders_reference``) builds (n, CELLS, n) arrays of
every minutia's distance to every cell centre of every other minutia, and takes an
exponential of each; most of them are then masked away, because a minutia reaches only the
cells within 3σ_S of it, and only the minutiae within R + 3σ_S of a cylinder's grid count as
its neighbours. Loops skip them before any arithmetic:

- a minutia t farther from s than the grid's reach is never looked at; of the others, only
  the block of cells within 3σ_S of t on both axes of s's frame is tested (a 6×6 block or
  smaller, of the 208 cells);
- t is s's neighbour when the nearest centre of s's grid is within reach, and is not when
  that centre is beyond reach; only between the two is every centre tested;
- a cylinder that is not usable (too few valid cells or neighbours) gets no values, as the
  reference drops it anyway; a cell no minutia reaches gets the sigmoid of 0, computed once.

Each bound has 1 px to spare, so that no borderline case is decided by a bound rather than by
the reference's test. The hull's rows, grown by HULL_MARGIN, are integer arithmetic on the
filled polygon and are compiled too.

The decisions are the reference's exactly: positions come from the same float64 operations
in the same order (the cosines and sines are NumPy's, passed in), rounding is half to even
like ``np.round``, and the comparisons are the same ``<=`` and ``<``, so validity and
usability are identical, not merely close. Values come from other exponentials, error
functions and an order of summation other than ``einsum``'s; on 200 FVC templates they were
the reference's float32 values bit for bit, and ``tests/test_cylinder_kernel.py`` holds them
within 1e-6.

As in ``kernel``, the constants reach the compiled code as an argument (``SETTINGS`` and
``GEOMETRY``), because numba's on-disk cache is keyed on this file alone and would keep a
constant that ``parameters`` has since changed.
"""

from __future__ import annotations

import math

import cv2
import numba
import numpy as np

from .cylinder import (
    _CORNER_X,
    _CORNER_Y,
    _CX,
    _CY,
    _DPHI,
    _HALF_WIDTHS,
    CELLS,
    DELTA_D,
    DELTA_S,
    GRID_INDEX,
    Cylinders,
    frame,
)
from .parameters import MIN_NEIGHBOURS, MIN_VALID_FRACTION, MU_PSI, NS, RADIUS, SIGMA_D, SIGMA_S, TAU_PSI
from .template import Template

# The settings vector: positions and the constants they hold, each written as the reference writes it
(_NEAR2, _TWO_VAR, _NORM, _REACH2, _SPATIAL_FAR2, _NEIGHBOUR_FAR2, _HALF_SECTION, _SCALE_D, _TAU, _MU, _MIN_VALID,
 _MIN_NEIGHBOURS, _DELTA_S, _MIDDLE, _NEAR_BOUND, _FAR_ENOUGH2) = range(16)
_REACH_SQUARED = (RADIUS + 3 * SIGMA_S) ** 2
# the farthest cell centre of the square grid from its minutia, corners included
_GRID_EXTENT = float(np.sqrt(np.max(np.concatenate([_CX**2 + _CY**2, _CORNER_X**2 + _CORNER_Y**2]))))
SETTINGS = np.array([
    (3 * SIGMA_S) ** 2,  # a minutia adds to the cells within 3σ_S of it (the reference's ``near``)
    2 * SIGMA_S**2,
    SIGMA_S * np.sqrt(2 * np.pi),
    _REACH_SQUARED,  # a neighbour lies within R + 3σ_S of some centre of the whole square grid
    # the bounds beyond which a minutia is skipped unseen: a rotation keeps a centre's distance
    # to its minutia to within a rounding, and 1 px spare keeps every borderline case to the test
    (RADIUS + 3 * SIGMA_S + 1) ** 2,
    (np.sqrt(_REACH_SQUARED) + _GRID_EXTENT + 1) ** 2,
    DELTA_D / 2,
    SIGMA_D * np.sqrt(2),
    TAU_PSI,
    MU_PSI,
    MIN_VALID_FRACTION * CELLS,
    MIN_NEIGHBOURS,
    DELTA_S,
    (NS - 1) / 2,  # the grid's middle, in cells from its first
    3 * SIGMA_S + 1,  # in the cylinder's frame, the cells a minutia may reach lie this close to it on each axis
    (np.sqrt(_REACH_SQUARED) + 1) ** 2,  # a minutia this far from the grid's nearest centre is beyond reach of all
], np.float64)
# each cell of the NS×NS grid (row-major): its column of ``values``, or for the corners left out
# -1 - its row of ``_CORNER_X`` and ``_CORNER_Y``
_SLOTS = np.empty(NS * NS, np.int64)
_SLOTS[GRID_INDEX] = np.arange(CELLS)
_SLOTS[np.setdiff1d(np.arange(NS * NS), GRID_INDEX)] = -1 - np.arange(NS * NS - CELLS)
GEOMETRY = (np.ascontiguousarray(_CX), np.ascontiguousarray(_CY), np.ascontiguousarray(_CORNER_X),
            np.ascontiguousarray(_CORNER_Y), np.ascontiguousarray(_DPHI), _SLOTS)
HALF_WIDTHS = _HALF_WIDTHS.astype(np.int64)

TWO_PI = 2 * math.pi


@numba.njit(cache=True)
def hull_rows(mask, half_widths):
    """``cylinder._hull_rows`` from the filled hull ``mask``: per image row, the first and last
    column inside the hull grown by the kernel whose rows reach ``half_widths`` either side."""
    height, width = mask.shape
    size = half_widths.shape[0]
    reach = size // 2
    far = width + size  # beyond any column the kernel can reach: marks a row without pixels
    first = np.full(height, far, np.int64)
    last = np.full(height, -far, np.int64)
    for y in range(height):
        for x in range(width):
            if mask[y, x]:
                first[y] = x
                break
        for x in range(width - 1, -1, -1):
            if mask[y, x]:
                last[y] = x
                break
    left = np.full(height, far, np.int64)
    right = np.full(height, -far, np.int64)
    for row in range(size):  # output row y sees polygon row y - (row - reach)
        half = half_widths[row]
        for y in range(height):
            src = y + reach - row
            if 0 <= src < height:
                f, g = first[src], last[src]
            else:
                f, g = far, -far
            left[y] = min(left[y], f - half)
            right[y] = max(right[y], g + half)
    for y in range(height):
        left[y] = max(left[y], 0)
        right[y] = min(right[y], width - 1)
    return left, right


@numba.njit(cache=True)
def _wrap(d):
    """``cylinder.wrap_angle`` of one angle."""
    return d - TWO_PI * math.floor((d + math.pi) / TWO_PI)


@numba.njit(cache=True)
def _nearest(w, delta, middle, side):
    """The row or column of the grid whose centres lie nearest ``w`` (px from the grid's middle) on that axis."""
    return min(max(int(np.rint(w / delta + middle)), 0), side - 1)


@numba.njit(cache=True)
def cylinder_cells(x, y, d, cos, sin, width, height, hull_left, hull_right, cx, cy, corner_x, corner_y, dphi,
                   slots, settings):
    """The rows of ``Cylinders.values`` and ``Cylinders.cells`` of the usable cylinders, and
    which minutiae own them (a boolean per minutia)."""
    n = x.shape[0]
    cells = cx.shape[0]
    corners = corner_x.shape[0]
    nd = dphi.shape[0]
    near2, reach2 = settings[_NEAR2], settings[_REACH2]
    spatial_far2, neighbour_far2 = settings[_SPATIAL_FAR2], settings[_NEIGHBOUR_FAR2]
    min_valid, min_neighbours = settings[_MIN_VALID], settings[_MIN_NEIGHBOURS]
    delta, middle, bound = settings[_DELTA_S], settings[_MIDDLE], settings[_NEAR_BOUND]
    far_enough2 = settings[_FAR_ENOUGH2]
    side = int(round(2 * middle + 1))
    px = np.empty((n, cells))
    py = np.empty((n, cells))
    valid = np.zeros((n, cells), np.bool_)
    usable = np.zeros(n, np.bool_)
    # first which cylinders are usable: their cells' positions and validity, then their neighbours
    for s in range(n):
        count = 0
        for c in range(cells):
            # as the reference's broadcast: (x + cx cos) - cy sin, (y + cx sin) + cy cos
            at_x = x[s] + cx[c] * cos[s] - cy[c] * sin[s]
            at_y = y[s] + cx[c] * sin[s] + cy[c] * cos[s]
            px[s, c], py[s, c] = at_x, at_y
            xi = min(max(int(np.rint(at_x)), 0), width - 1)  # np.round: half to even
            yi = min(max(int(np.rint(at_y)), 0), height - 1)
            inside = at_x >= 0 and at_x < width and at_y >= 0 and at_y < height
            if inside and xi >= hull_left[yi] and xi <= hull_right[yi]:
                valid[s, c] = True
                count += 1
        if count < min_valid:
            continue
        neighbours = 0
        for t in range(n):
            if t == s:
                continue
            ex, ey = x[t] - x[s], y[t] - y[s]
            if ex * ex + ey * ey > neighbour_far2:
                continue
            # first the centre of the square grid nearest t (by rounding t's place in s's frame): within
            # reach, t is a neighbour; farther than reach by a pixel, so are all the others, and t is
            # not; in between, every centre is tested as the reference tests it
            slot = slots[_nearest(-ex * sin[s] + ey * cos[s], delta, middle, side) * side
                         + _nearest(ex * cos[s] + ey * sin[s], delta, middle, side)]
            if slot >= 0:
                dx, dy = px[s, slot] - x[t], py[s, slot] - y[t]
            else:
                dx = x[s] + corner_x[-1 - slot] * cos[s] - corner_y[-1 - slot] * sin[s] - x[t]
                dy = y[s] + corner_x[-1 - slot] * sin[s] + corner_y[-1 - slot] * cos[s] - y[t]
            nearest2 = dx * dx + dy * dy
            seen = nearest2 <= reach2
            if not seen and nearest2 <= far_enough2:
                for c in range(cells):
                    dx, dy = px[s, c] - x[t], py[s, c] - y[t]
                    if dx * dx + dy * dy <= reach2:
                        seen = True
                        break
            if not seen and nearest2 <= far_enough2:
                for c in range(corners):
                    qx = x[s] + corner_x[c] * cos[s] - corner_y[c] * sin[s] - x[t]
                    qy = y[s] + corner_x[c] * sin[s] + corner_y[c] * cos[s] - y[t]
                    if qx * qx + qy * qy <= reach2:
                        seen = True
                        break
            if seen:
                neighbours += 1
                if neighbours >= min_neighbours:
                    break
        usable[s] = neighbours >= min_neighbours
    kept = usable.sum()
    values = np.zeros((kept, cells * nd), np.float32)
    out_cells = np.zeros((2 * kept, cells), np.float32)
    two_var, norm = settings[_TWO_VAR], settings[_NORM]
    half_section, scale_d = settings[_HALF_SECTION], settings[_SCALE_D]
    tau, mu = settings[_TAU], settings[_MU]
    total = np.empty((cells, nd))
    touched = np.empty(cells, np.bool_)
    directional = np.empty(nd)
    # the sigmoid of an empty cell, as the reference takes it of a sum of 0
    empty = 1.0 / (1.0 + math.exp(-tau * (0.0 - mu)))
    k = 0
    for s in range(n):
        if not usable[s]:
            continue
        total[:] = 0.0
        touched[:] = False
        for t in range(n):
            if t == s:
                continue
            ex, ey = x[t] - x[s], y[t] - y[s]
            if ex * ex + ey * ey > spatial_far2:
                continue
            # the share of t's direction, relative to s's, in each section: the Gaussian's integral
            rel = _wrap(d[s] - d[t])
            for j in range(nd):
                diff = _wrap(dphi[j] - rel)
                directional[j] = 0.5 * (math.erf((diff + half_section) / scale_d)
                                        - math.erf((diff - half_section) / scale_d))
            # t in s's frame, and the block of grid cells within ``bound`` of it on both axes: the
            # only ones it can reach; each of them is then tested as the reference tests it
            u = ex * cos[s] + ey * sin[s]
            v = -ex * sin[s] + ey * cos[s]
            first_col = max(int(math.ceil((u - bound) / delta + middle)), 0)
            last_col = min(int(math.floor((u + bound) / delta + middle)), side - 1)
            first_row = max(int(math.ceil((v - bound) / delta + middle)), 0)
            last_row = min(int(math.floor((v + bound) / delta + middle)), side - 1)
            for row in range(first_row, last_row + 1):
                for col in range(first_col, last_col + 1):
                    c = slots[row * side + col]
                    if c < 0:
                        continue
                    dx, dy = px[s, c] - x[t], py[s, c] - y[t]
                    dist2 = dx * dx + dy * dy
                    if dist2 <= near2:
                        touched[c] = True
                        spatial = math.exp(-dist2 / two_var) / norm
                        for j in range(nd):
                            total[c, j] += spatial * directional[j]
        for c in range(cells):
            if not valid[s, c]:
                continue
            energy = 0.0
            for j in range(nd):
                # the exponentials skipped give what they would: the empty cell's value, and 1 where
                # exp(-40) is below half the rounding of 1
                rise = tau * (total[c, j] - mu)
                if not touched[c]:
                    v = empty
                elif rise > 40.0:
                    v = 1.0
                else:
                    v = 1.0 / (1.0 + math.exp(-rise))
                values[k, c * nd + j] = v
                energy += v * v
            out_cells[k, c] = energy
            out_cells[kept + k, c] = 1.0
        k += 1
    return values, out_cells, usable


def make_cylinders(template: Template) -> Cylinders:
    """``cylinder.make_cylinders_reference`` by the compiled loops: the same cylinders."""
    m = template.minutiae
    outline, flow, empty = frame(template)
    if empty is not None:
        return empty
    width, height = int(template.width), int(template.height)
    mask = np.zeros((height, width), np.uint8)
    if len(outline.vertices):
        cv2.fillConvexPoly(mask, outline.vertices.astype(np.int32), 1)
    hull_left, hull_right = hull_rows(mask, HALF_WIDTHS)
    d = m[:, 2]
    cos, sin = np.cos(d), np.sin(d)  # of the same view as the reference's, should NumPy take another path for a copy
    x, y = np.ascontiguousarray(m[:, 0]), np.ascontiguousarray(m[:, 1])
    values, cells, usable = cylinder_cells(x, y, np.ascontiguousarray(d), np.ascontiguousarray(cos),
                                           np.ascontiguousarray(sin), width, height, hull_left, hull_right,
                                           *GEOMETRY, SETTINGS)
    return Cylinders(values, cells, m[usable], np.column_stack([cos, sin])[usable], outline, flow)


def warm() -> float:
    """Compile the kernel into numba's cache (beside this module) now, so that the first template of a
    fresh checkout's tests or services does not wait for it; returns the seconds it took."""
    import time

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(40, 260, 30), rng.uniform(40, 260, 30), rng.uniform(-np.pi, np.pi, 30),
                              rng.integers(1, 3, 30), np.full(30, 60)])
    make_cylinders(Template(300, 300, points))
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"cylinder kernel ready ({warm():.1f} s)")
