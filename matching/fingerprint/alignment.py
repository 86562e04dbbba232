"""Global alignment check: do the two prints agree as wholes, not only locally?

MCC with LSS-R judges pairs of local structures; on a good print it is enough, but a
print that shares a few similar neighbourhoods with another finger can score like a
genuine pair. Here each of the matcher's best pairs proposes a rigid transform (the
two minutiae on top of each other, their directions aligned); every minutia of B is
carried into A's frame and counted as matched when one of A's lies within a radius
that grows with the distance from the proposing pair (skin stretches more the further
from where two impressions agree, which FVC2004 shows most) and within an angle.
The score is ``m² / (n_a · n_b)``: the matched fraction of the minutiae each print has
inside the other's outline, so a small overlap is judged on what the two prints share
rather than on everything each holds.

Measured (docs/decisions.md, "global alignment check, finer cluster filter"): combined with
the LSS-R score as ``lss^0.7 · g^0.3``, it lowers the EER on each of the fourteen FVC sets and
ZFM views it was measured on.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .parameters import ALIGNMENT_MAX_ANGLE as MAX_ANGLE
from .parameters import ALIGNMENT_MIN_COUNT as MIN_COUNT
from .parameters import ALIGNMENT_OUTLINE_MARGIN as OUTLINE_MARGIN
from .parameters import ALIGNMENT_RADIUS as RADIUS
from .parameters import ALIGNMENT_RADIUS_GROWTH as RADIUS_GROWTH

COS_MAX_ANGLE = float(np.cos(MAX_ANGLE))


@dataclass(frozen=True)
class Outline:
    """A template's minutiae (all of them, with or without a cylinder) and their convex
    hull, as vertices and as edge rows (outward unit normals and offsets), for
    point-in-outline tests."""

    minutiae: np.ndarray  # (n, >=3) x, y, direction
    vertices: np.ndarray  # (h, 2)
    headings: np.ndarray  # (n, 2) unit vectors of the minutiae's directions
    lifted: np.ndarray  # (n, 4) x, y, x² + y², 1: squared distances to A as one product
    # each edge as a row of weights on homogeneous points, so that one product gives every
    # point's p·n - offset (inside where it is <= 0, n the outward unit normal):
    # [n, -offset] for [x, y, 1], and [-n / 2, -offset] for [-2x, -2y, 1], the form the
    # distance product already holds B's points in
    edges: np.ndarray  # (h, 3)
    edges_lifted: np.ndarray  # (h, 3)


def make_outline(minutiae: np.ndarray) -> Outline:
    pts = minutiae[:, :2].astype(np.float64)
    headings = np.column_stack([np.cos(minutiae[:, 2]), np.sin(minutiae[:, 2])])
    lifted = np.column_stack([pts, (pts * pts).sum(axis=1), np.ones(len(pts))])
    if len(pts) < 3:
        none = np.zeros((0, 3))
        return Outline(minutiae, np.zeros((0, 2)), headings, lifted, none, none)
    hull = cv2.convexHull(pts.astype(np.float32)).reshape(-1, 2).astype(np.float64)
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.column_stack([edges[:, 1], -edges[:, 0]])
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)
    # outward: the centroid must lie on the inner side of every edge
    if np.mean(np.einsum("hc,hc->h", hull.mean(axis=0) - hull, normals)) > 0:
        normals = -normals
    offsets = np.einsum("hc,hc->h", hull, normals)
    return Outline(minutiae, hull, headings, lifted,
                   np.column_stack([normals, -offsets]), np.column_stack([normals * -0.5, -offsets]))


def _count_inside(points: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(k,) how many of each row's points lie within an outline.

    ``points`` is (3, k, n), homogeneous and in the form ``edges`` (one of the outline's
    two edge tables) weighs. The edges run along the first axis of the product, so the
    test over edges is an element-wise maximum of a few rows rather than a reduction
    along a short last axis.
    """
    _, k, n = points.shape
    if len(edges) == 0:
        return np.full(k, n)
    return ((edges @ points.reshape(3, k * n)).max(axis=0) <= OUTLINE_MARGIN).reshape(k, n).sum(axis=1)


def alignment_score(a: Outline, b: Outline, seeds_a: np.ndarray, seeds_b: np.ndarray) -> float:
    """Best ``m² / (n_a · n_b)`` in [0, 1] over the transforms the seed pairs propose."""
    scores = alignment_scores(a, b, seeds_a, seeds_b)
    return float(scores.max()) if len(scores) else 0.0


def alignment_scores(a: Outline, b: Outline, seeds_a: np.ndarray, seeds_b: np.ndarray) -> np.ndarray:
    """``m² / (n_a · n_b)`` in [0, 1] for the transform each seed pair proposes, (k,).

    ``seeds_a``/``seeds_b`` are (k, >=3) rows of paired minutiae (x, y, direction).
    ``m`` counts the minutiae of A with a partner in B and of B with a partner in A,
    the smaller of the two, which equals a one-to-one count unless two partners crowd
    within the radius (minutiae closer than that are removed at extraction).

    Why it is written this way: the check runs on every comparison, and a dense test
    of every seed × minutia of A × minutia of B took as long as the rest of the
    comparison. All squared distances come from one product of lifted coordinates
    (``|p - q|² = [x, y, |p|², 1] · [-2x', -2y', 1, |q|²]``); only the few pairs within
    reach (a fraction of a percent) have their directions compared.
    """
    A, B = a.minutiae, b.minutiae
    if len(seeds_a) == 0 or len(A) == 0 or len(B) == 0:
        return np.zeros(len(seeds_a))
    k, nb = len(seeds_a), len(B)
    rot = seeds_a[:, 2] - seeds_b[:, 2]  # (k,)
    c, s = np.cos(rot)[:, None], np.sin(rot)[:, None]
    bx, by = B[None, :, 0] - seeds_b[:, 0, None], B[None, :, 1] - seeds_b[:, 1, None]
    tx = c * bx - s * by + seeds_a[:, 0, None]  # (k, nb): B in A's frame
    ty = s * bx + c * by + seeds_a[:, 1, None]
    # filled in place rather than stacked: a comparison's fixed cost is its count of array
    # calls and copies, not their size (docs/decisions.md, "the second pass again, and the
    # background of a capacitive sensor")
    lifted_b = np.empty((4, k, nb))
    np.multiply(tx, -2, out=lifted_b[0])
    np.multiply(ty, -2, out=lifted_b[1])
    lifted_b[2] = 1
    np.multiply(tx, tx, out=lifted_b[3])
    lifted_b[3] += ty * ty
    dist2 = (a.lifted @ lifted_b.reshape(4, k * nb)).reshape(len(A), k, nb)
    reach = RADIUS + RADIUS_GROWTH * np.hypot(A[:, 0, None] - seeds_a[None, :, 0],
                                              A[:, 1, None] - seeds_a[None, :, 1])  # (na, k)
    ik_a, ib = np.divmod(np.flatnonzero(dist2 < (reach * reach)[:, :, None]), nb)
    ia, ik = np.divmod(ik_a, k)
    # of the pairs within reach, those whose directions agree within MAX_ANGLE: the cosine
    # of the difference, from unit vectors, B's turned by its seed's rotation
    hb, ck, sk = b.headings[ib], c[ik, 0], s[ik, 0]
    agree = (a.headings[ia, 0] * (ck * hb[:, 0] - sk * hb[:, 1])
             + a.headings[ia, 1] * (sk * hb[:, 0] + ck * hb[:, 1])) > COS_MAX_ANGLE
    ia, ik, ib = ia[agree], ik[agree], ib[agree]
    with_partner_a = np.zeros((k, len(A)), bool)
    with_partner_a[ik, ia] = True
    with_partner_b = np.zeros((k, nb), bool)
    with_partner_b[ik, ib] = True
    matched = np.minimum(with_partner_a.sum(axis=1), with_partner_b.sum(axis=1))  # (k,)
    # A in B's frame, by the inverse transform, to test against B's own outline
    ax, ay = A[None, :, 0] - seeds_a[:, 0, None], A[None, :, 1] - seeds_a[:, 1, None]
    in_b = np.empty((3, k, len(A)))
    np.add(c * ax + s * ay, seeds_b[:, 0, None], out=in_b[0])
    np.add(-s * ax + c * ay, seeds_b[:, 1, None], out=in_b[1])
    in_b[2] = 1
    n_a = _count_inside(in_b, b.edges)
    n_b = _count_inside(lifted_b[:3], a.edges_lifted)  # B's points in A's frame, lifted already
    score = matched**2 / (np.maximum(n_a, MIN_COUNT) * np.maximum(n_b, MIN_COUNT))
    return np.minimum(score, 1.0)
