"""The global alignment check: what it counts, and that its fast form counts the same."""

from __future__ import annotations

import numpy as np

from matching.fingerprint.alignment import (
    COS_MAX_ANGLE,
    MIN_COUNT,
    OUTLINE_MARGIN,
    RADIUS,
    RADIUS_GROWTH,
    Outline,
    alignment_score,
    make_outline,
)


def _minutiae(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack([rng.uniform(40, 360, n), rng.uniform(40, 440, n), rng.uniform(-np.pi, np.pi, n)])


def _moved(m: np.ndarray, angle: float, shift: tuple[float, float]) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    x, y = m[:, 0], m[:, 1]
    return np.column_stack([c * x - s * y + shift[0], s * x + c * y + shift[1], m[:, 2] + angle])


def _inside(points: np.ndarray, outline: Outline) -> np.ndarray:
    side = points @ outline.edges[:, :2].T + outline.edges[:, 2]  # p·n - offset
    return (side <= OUTLINE_MARGIN).all(axis=-1)


def _dense_reference(a: Outline, b: Outline, seeds_a: np.ndarray, seeds_b: np.ndarray) -> float:
    """The check as first written: every seed × minutia of A × minutia of B, one loop per seed."""
    best = 0.0
    for sa, sb in zip(seeds_a, seeds_b, strict=True):
        rot = sa[2] - sb[2]
        c, s = np.cos(rot), np.sin(rot)
        bx, by = b.minutiae[:, 0] - sb[0], b.minutiae[:, 1] - sb[1]
        tb = np.column_stack([c * bx - s * by + sa[0], s * bx + c * by + sa[1]])
        ax, ay = a.minutiae[:, 0] - sa[0], a.minutiae[:, 1] - sa[1]
        ta = np.column_stack([c * ax + s * ay + sb[0], -s * ax + c * ay + sb[1]])
        reach = RADIUS + RADIUS_GROWTH * np.hypot(ax, ay)
        d2 = ((a.minutiae[:, None, :2] - tb[None]) ** 2).sum(axis=2)
        agree = np.cos(a.minutiae[:, None, 2] - b.minutiae[None, :, 2] - rot) > COS_MAX_ANGLE
        near = (d2 < reach[:, None] ** 2) & agree
        matched = min(near.any(axis=1).sum(), near.any(axis=0).sum())
        n_a, n_b = _inside(ta, b).sum(), _inside(tb, a).sum()
        best = max(best, matched**2 / (max(n_a, MIN_COUNT) * max(n_b, MIN_COUNT)))
    return min(best, 1.0)


def test_a_moved_copy_aligns_completely_from_one_true_seed():
    m = _minutiae(np.random.default_rng(1), 40)
    moved = _moved(m, 0.4, (25.0, -30.0))
    score = alignment_score(make_outline(moved), make_outline(m), moved[[7]], m[[7]])
    assert score == 1.0


def test_an_unrelated_print_does_not_align():
    rng = np.random.default_rng(2)
    a, b = _minutiae(rng, 40), _minutiae(rng, 40)
    assert alignment_score(make_outline(a), make_outline(b), a[:12], b[:12]) < 0.2


def test_fast_form_counts_exactly_what_the_dense_check_counts():
    rng = np.random.default_rng(3)
    for trial in range(30):
        a = _minutiae(rng, int(rng.integers(5, 60)))
        # half the trials share minutiae (a moved, jittered copy with extras), half do not
        if trial % 2:
            b = _moved(a, rng.uniform(-0.5, 0.5), tuple(rng.uniform(-40, 40, 2)))
            b[:, :2] += rng.normal(0, 4, (len(b), 2))
            b = np.vstack([b, _minutiae(rng, 10)])
        else:
            b = _minutiae(rng, int(rng.integers(5, 60)))
        k = int(rng.integers(1, 13))
        ia, ib = rng.integers(0, len(a), k), rng.integers(0, len(b), k)
        oa, ob = make_outline(a), make_outline(b)
        assert alignment_score(oa, ob, a[ia], b[ib]) == _dense_reference(oa, ob, a[ia], b[ib])
