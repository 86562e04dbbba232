"""Comparing two templates: MCC local similarities consolidated by LSS-R.

Local similarities of all cylinder pairs come from one matrix product over the
cylinders' values and two small ones over their 208 spatial cells; the
best one-to-one pairs (Hungarian assignment, the paper's LSA) are then re-weighted
by relaxation (pairs whose distances and angles agree with the other pairs keep
their weight), and the score is the mean of
the most efficient ones. Those pairs then seed a global alignment check
(``alignment``): the final score is ``lss^0.7 · g^0.3``, so two prints must agree
locally and as wholes. When both templates carry their ridge flow, the three best
alignments are each weighed also by how well the flows agree under them
(``ridge_flow``), and the best product wins. Scores lie in [0, 1]; see ``thresholds``
for what a threshold means in false matches.

The functions here state the method in NumPy and are the reference; comparisons run in
the compiled ``kernel``, which takes the same steps in loops and is tested against them
(``compare_cylinders`` and ``align`` use it, ``compare_cylinders_reference`` does not).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from .alignment import alignment_scores
from .cylinder import ND, Cylinders, make_cylinders, wrap_angle
from .parameters import (
    FLOW_SEEDS,
    MAX_DIRECTION_DIFF,
    MAX_NP,
    MIN_COMMON_CELLS,
    MIN_NP,
    MU_1,
    MU_2,
    MU_P,
    N_REL,
    SUPPORT_PAIRS,
    TAU_1,
    TAU_2,
    TAU_P,
    W_ALIGNMENT,
    W_R,
)
from .ridge_flow import flow_factors
from .template import Template


def _z_scalar(v: float, mu: float, tau: float) -> float:
    return 1.0 / (1.0 + math.exp(min(max(-tau * (v - mu), -50.0), 50.0)))


def cylinder_products(a: Cylinders, b: Cylinders) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three matrix products local similarities are made of: ``(2 len(a), len(b))`` energy
    of A over B's valid cells above A's valid cells in common with B, ``(len(a), len(b))``
    energy of B over A's valid cells, and the cylinders' dot products.

    The compiled kernel takes them from here too: they are float32 sums, and the order BLAS
    sums in is part of their rounding; two near-identical cylinders leave little of
    ``aa + bb - 2 ab``, so that rounding shows in their similarity.
    """
    ka, kb = len(a), len(b)
    return a.cells @ b.cells[kb:].T, a.cells[ka:] @ b.cells[:kb].T, a.values @ b.values.T


def local_similarity(a: Cylinders, b: Cylinders) -> np.ndarray:
    """(len(a), len(b)) matrix of cylinder similarities, 0 where not comparable."""
    ka = len(a)
    # energy of A over B's valid cells and A's valid cells in common with B, in one product;
    # the energy of B over A's valid cells in another
    ew, bb, ab = cylinder_products(a, b)
    aa, common = ew[:ka], ew[ka:] * ND
    denom = np.sqrt(aa) + np.sqrt(bb)
    dist = np.sqrt(np.maximum(aa + bb - 2 * ab, 0))
    # 1 - dist / denom. The denominator is 0 only where the two cylinders share no cell (a valid
    # cell's value is at least psi(0) = 0.018), and the gate below zeroes those anyway
    sim = 1 - dist / np.maximum(denom, 1e-30)
    # directions more than 90° apart: cos(θa - θb) < 0, as one small product of unit vectors
    sim *= (common >= MIN_COMMON_CELLS) & (a.headings @ b.headings.T >= np.cos(MAX_DIRECTION_DIFF) - 1e-9)
    return sim


def pairs_averaged(n_r: int) -> int:
    """n_P, how many of the most efficient pairs LSS-R averages, for two templates the
    smaller of which has ``n_r`` cylinders."""
    return MIN_NP + int(round(_z_scalar(n_r, MU_P, TAU_P) * (MAX_NP - MIN_NP)))


def _assigned_pairs(sim: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one pairs by the Hungarian assignment (LSA), the ``count`` most similar kept."""
    ia, ib = linear_sum_assignment(sim, maximize=True)
    values = sim[ia, ib]
    keep = values > 0
    ia, ib, values = ia[keep], ib[keep], values[keep]
    order = np.argsort(-values, kind="stable")[:count]
    return ia[order], ib[order]


def consolidate(sim: np.ndarray, ma: np.ndarray,
                mb: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """LSS-R: relaxation over the best one-to-one pairs, mean of the most efficient.

    Returns the score and the pairs it rests on (indices into A and B), which seed the
    global alignment check.
    """
    none = (0.0, np.zeros(0, int), np.zeros(0, int))
    n_r = min(len(ma), len(mb))
    if n_r == 0:
        return none
    n_p = pairs_averaged(n_r)
    ia, ib = _assigned_pairs(sim, n_r)
    if len(ia) < 2:
        return none
    lam0 = sim[ia, ib]
    # each side's pair geometry, (k, k): d[i, j] is from pair i's minutia to pair j's
    pa, pb = ma[ia], mb[ib]
    dxa, dya = pa[None, :, 0] - pa[:, None, 0], pa[None, :, 1] - pa[:, None, 1]
    dxb, dyb = pb[None, :, 0] - pb[:, None, 0], pb[None, :, 1] - pb[:, None, 1]
    # how the pair (i, j)'s relative direction and radial angle differ between A and B;
    # with delta = direction in A minus direction in B, both are differences of deltas.
    # The bearing of j from i turns by atan2(cross, dot) between A and B: one arctangent
    delta = pa[:, 2] - pb[:, 2]
    turn = np.arctan2(dxb * dya - dyb * dxa, dxa * dxb + dya * dyb)
    # written into one buffer, and the two Z factors below multiplied directly: at this size
    # np.stack's copy and np.prod's reduction cost more than the arithmetic (docs/decisions.md,
    # "the second pass again, and the background of a capacitive sensor")
    d23 = np.empty((2, *turn.shape))
    np.subtract(delta[:, None], delta[None, :], out=d23[0])
    np.subtract(delta[:, None], turn, out=d23[1])
    d23 = np.abs(wrap_angle(d23))
    # rho = Z(d1; mu1, tau1) * Z(d2; mu2, tau2) * Z(d3; mu3, tau3), with Z(v) = 1 / (1 + e^(-tau (v - mu)))
    # and mu3, tau3 = mu2, tau2 (MU_2, TAU_2 serve both angle differences, direction and radial)
    d1 = np.minimum(np.abs(np.sqrt(dxa * dxa + dya * dya) - np.sqrt(dxb * dxb + dyb * dyb)), 60.0)
    # past 60 px Z is 0 already; the bound keeps exp finite
    z23 = 1.0 + np.exp(-TAU_2 * (d23 - MU_2))
    rho = 1.0 / ((1.0 + np.exp(-TAU_1 * (d1 - MU_1))) * (z23[0] * z23[1]))
    k = len(lam0)
    # lam <- W_R lam + (1 - W_R) rho lam / min(k - 1, SUPPORT_PAIRS), N_REL times: one matrix,
    # N_REL products. The paper divides by k - 1, so a pair's support is the share of the other
    # pairs that agree with it. But LSA pairs every minutia of the smaller template, up to 278 on
    # a large print, and two impressions of it share only part of the finger: the true pairs'
    # share falls with the print's size while what they agree on does not. Past SUPPORT_PAIRS the
    # support is counted in pairs instead (FVC2000_DB3's EER 2.30 % against 2.89 % by the paper's
    # rule, FMR1000 11.8 % against 17.1 %); a comparison of at most 61 pairs is scored exactly by
    # the paper's rule
    step = rho * ((1 - W_R) / min(k - 1, SUPPORT_PAIRS))
    step.flat[:: k + 1] = W_R  # the diagonal
    lam = lam0
    for _ in range(N_REL):
        lam = step @ lam
    efficiency = lam / np.maximum(lam0, 1e-9)
    top = efficiency_order(efficiency)[: min(n_p, k)]
    # counted in pairs, a large print's support can lift its pairs above their similarity; a
    # score stays within [0, 1]
    return min(float(lam[top].sum() / len(top)), 1.0), ia[top], ib[top]


def efficiency_order(efficiency: np.ndarray) -> np.ndarray:
    """The pairs, the one whose relaxed similarity kept the most of its own first.

    The compiled kernel ranks them here too: a pair that no other supports keeps exactly
    W_R^N_REL of its similarity, and of several such, which are taken is the order NumPy's
    sort leaves equal values in.
    """
    return np.argsort(efficiency)[::-1]


def _rigid(seeds_a: np.ndarray, seeds_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotations (k,) and shifts (k, 2) that put each seed of B on its partner in A."""
    rotation = seeds_a[:, 2] - seeds_b[:, 2]
    c, s = np.cos(rotation), np.sin(rotation)
    shift = np.column_stack([seeds_a[:, 0] - (c * seeds_b[:, 0] - s * seeds_b[:, 1]),
                             seeds_a[:, 1] - (s * seeds_b[:, 0] + c * seeds_b[:, 1])])
    return rotation, shift


def scored_with_flow(a: Cylinders, b: Cylinders) -> bool:
    """Whether comparing ``a`` and ``b`` weighs their ridge flows: only when both carry one.
    It decides which calibration the score takes (``thresholds``)."""
    return a.flow is not None and b.flow is not None


def _best(a: Cylinders, b: Cylinders) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """The score and the seed pair (one minutia of A, one of B) its alignment rests on."""
    if len(a) == 0 or len(b) == 0:
        return 0.0, None, None
    local, ia, ib = consolidate(local_similarity(a, b), a.minutiae, b.minutiae)
    if local <= 0:
        return 0.0, None, None
    seeds_a, seeds_b = a.minutiae[ia], b.minutiae[ib]
    wholes = alignment_scores(a.outline, b.outline, seeds_a, seeds_b) ** W_ALIGNMENT
    if scored_with_flow(a, b):
        # the best few alignments, each judged also by how well the ridge flows agree under it
        best = np.argsort(-wholes, kind="stable")[:FLOW_SEEDS]
        seeds_a, seeds_b = seeds_a[best], seeds_b[best]
        rotation, shift = _rigid(seeds_a, seeds_b)
        wholes = wholes[best] * flow_factors(a.flow, b.flow, rotation, shift, seeds_b[:, :2])
    k = int(np.argmax(wholes))
    return float(local ** (1 - W_ALIGNMENT) * wholes[k]), seeds_a[k], seeds_b[k]


def _best_compiled(a: Cylinders, b: Cylinders) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """``_best`` by the compiled kernel; where one of the kernel's decisions comes within
    rounding of its threshold (about two comparisons in a hundred), by ``_best`` itself, so
    that the two never decide otherwise."""
    # imported here, not with this module: numba and the compiled code take a second to load,
    # which a process that only reads templates (or the windows, whose comparisons run in a
    # worker) need not pay
    from . import kernel

    if len(a) == 0 or len(b) == 0:
        return 0.0, None, None
    products = cylinder_products(a, b)
    n_p = pairs_averaged(min(len(a), len(b)))
    score, seed_a, seed_b, verdict, efficiency = kernel.compare(a, b, products, n_p)
    if verdict == kernel.TIED:
        score, seed_a, seed_b, verdict, _ = kernel.compare(a, b, products, n_p, efficiency_order(efficiency))
    if verdict == kernel.UNSURE:
        return _best(a, b)
    if seed_a < 0:
        return score, None, None
    return score, a.minutiae[seed_a], b.minutiae[seed_b]


def compare_cylinders(a: Cylinders, b: Cylinders) -> float:
    """Similarity of two prepared templates in [0, 1], by the compiled kernel."""
    return _best_compiled(a, b)[0]


def compare_cylinders_reference(a: Cylinders, b: Cylinders) -> float:
    """The same score as ``compare_cylinders`` (within 1e-6), by the NumPy steps of this module."""
    return _best(a, b)[0]


@dataclass(frozen=True)
class Alignment:
    """The rigid transform from B's frame to A's that a comparison's score rests on."""

    rotation: float  # radians
    shift: np.ndarray  # (2,) px

    def carry(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) points of B in A's frame."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        return points @ np.array([[c, s], [-s, c]]) + self.shift

    def carry_back(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) points of A in B's frame."""
        c, s = math.cos(self.rotation), math.sin(self.rotation)
        return (points - self.shift) @ np.array([[c, -s], [s, c]])


def align(a: Cylinders, b: Cylinders) -> tuple[float, Alignment | None]:
    """The score of ``compare_cylinders`` and the alignment it rests on (None at 0)."""
    score, seed_a, seed_b = _best_compiled(a, b)
    if seed_a is None or seed_b is None:
        return score, None
    rotation, shift = _rigid(seed_a[None], seed_b[None])
    return score, Alignment(float(rotation[0]), shift[0])


def compare(a: Template, b: Template) -> float:
    """Similarity of two templates in [0, 1] (higher = more alike)."""
    return compare_cylinders(make_cylinders(a), make_cylinders(b))
