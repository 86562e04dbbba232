"""The extraction's stages on images whose answer is known: thinning, ridge tracing, ridge
period, Gabor."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matching.fingerprint.enhancement import PERIOD_STEP, gabor_enhance, gabor_kernel
from matching.fingerprint.frequency import ridge_period
from matching.fingerprint.minutiae import (
    BIFURCATION,
    ENDING,
    crossing_number,
    drop_staircases,
    minutiae_from_skeleton,
    thin,
)


def zhang_suen_by_the_book(binary: np.ndarray) -> np.ndarray:
    """Zhang & Suen (1984) pixel by pixel, as the paper states it, to check the tables against."""
    img = np.pad(binary.astype(np.uint8), 1)
    ring = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    while True:
        changed = False
        for step in (0, 1):
            kill = []
            for y, x in zip(*np.nonzero(img), strict=True):
                p = [int(img[y + dy, x + dx]) for dy, dx in ring]  # P2..P9
                b = sum(p)
                a = sum(p[i] == 0 and p[(i + 1) % 8] == 1 for i in range(8))
                if step == 0:
                    ok = p[0] * p[2] * p[4] == 0 and p[2] * p[4] * p[6] == 0
                else:
                    ok = p[0] * p[2] * p[6] == 0 and p[0] * p[4] * p[6] == 0
                if 2 <= b <= 6 and a == 1 and ok:
                    kill.append((y, x))
            for y, x in kill:
                img[y, x] = 0
            changed |= bool(kill)
        if not changed:
            return img[1:-1, 1:-1]


@pytest.mark.parametrize("seed", range(6))
def test_thinning_is_zhang_suen_exactly(seed):
    rng = np.random.default_rng(seed)
    blobs = cv2.GaussianBlur(rng.random((48, 56)), (0, 0), 1.5) > 0.5
    np.testing.assert_array_equal(thin(blobs), zhang_suen_by_the_book(blobs))


def test_a_thick_fork_thins_to_three_endings_and_one_bifurcation():
    img = np.zeros((80, 80), np.uint8)
    cv2.line(img, (10, 40), (40, 40), 1, 5)
    cv2.line(img, (40, 40), (70, 15), 1, 5)
    cv2.line(img, (40, 40), (70, 65), 1, 5)
    skeleton = thin(img > 0)
    cn = crossing_number(skeleton)
    assert (cn == 1).sum() == 3
    assert 1 <= (cn == 3).sum() <= 2  # a fork may thin to two adjacent junction pixels
    assert skeleton.sum() < 0.4 * img.sum()


def yokoi_connectivity(p: list[int]) -> int:
    """Yokoi's 8-connectivity number of a pixel whose neighbours N, NE, E, … NW are ``p``."""
    ring = [p[2], p[1], p[0], p[7], p[6], p[5], p[4], p[3]]  # E, NE, N, NW, W, SW, S, SE
    gap = [1 - v for v in ring]
    return sum(gap[k] - gap[k] * gap[(k + 1) % 8] * gap[(k + 2) % 8] for k in (0, 2, 4, 6))


@pytest.mark.parametrize("seed", range(4))
def test_dropping_staircases_leaves_a_minimal_skeleton_in_as_many_pieces(seed):
    """Every pixel left either ends a line, or holds it together (taking it out would cut
    a line or open a loop); and the skeleton is in as many 8-connected pieces as before."""
    rng = np.random.default_rng(seed)
    skeleton = thin(cv2.GaussianBlur(rng.random((60, 70)), (0, 0), 1.5) > 0.5)
    minimal = drop_staircases(skeleton)
    assert minimal.sum() < skeleton.sum()  # Zhang–Suen left staircases to drop
    assert not (minimal & ~skeleton.astype(bool)).any()
    assert cv2.connectedComponents(minimal, connectivity=8)[0] == cv2.connectedComponents(
        skeleton.astype(np.uint8), connectivity=8)[0]
    padded = np.pad(minimal, 1)
    ring = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    for y, x in zip(*np.nonzero(padded), strict=True):
        p = [int(padded[y + dy, x + dx]) for dy, dx in ring]
        assert sum(p) <= 1 or yokoi_connectivity(p) != 1


def test_a_slant_without_its_staircase_is_a_line_of_two_neighbours_a_pixel():
    slant = np.zeros((60, 60), np.uint8)
    cv2.line(slant, (8, 10), (50, 40), 1, thickness=5)
    line = drop_staircases(thin(slant))
    neighbours = cv2.filter2D(line, -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT) - 1
    counts = neighbours[line > 0]
    assert counts.max() == 2 and (counts == 1).sum() == 2  # a line, with its two ends


@pytest.mark.parametrize("spread", [0.35, 0.5])
def test_thick_forks_at_every_angle_give_one_bifurcation_pointing_along_the_stem(spread):
    """A ridge forking at any angle, thinned: one bifurcation, pointing along its stem away
    from the branches, and three endings. Before staircases were dropped, a fork's pixel
    could touch one branch twice, and the two traces of it were taken for the fork."""
    for angle in np.linspace(0, 2 * np.pi, 24, endpoint=False):
        img = np.zeros((100, 100), np.uint8)
        ahead = np.array([np.cos(angle), np.sin(angle)])
        cv2.line(img, tuple(np.round(50 - 40 * ahead).astype(int).tolist()), (50, 50), 1, thickness=5)
        for turn in (-spread, spread):
            branch = np.array([np.cos(angle + turn), np.sin(angle + turn)])
            cv2.line(img, (50, 50), tuple(np.round(50 + 40 * branch).astype(int).tolist()), 1, thickness=5)
        field = np.full(img.shape, angle % np.pi, np.float32)
        rows, _ = minutiae_from_skeleton(drop_staircases(thin(img)), np.ones(img.shape, bool), field)
        forks = [r for r in rows if r[3] == BIFURCATION]
        assert len(forks) == 1 and (rows[:, 3] == ENDING).sum() == 3, angle
        assert np.cos(forks[0][2] - angle) < -0.9, angle


def test_thinning_reads_any_nonzero_pixel_as_ridge():
    img = np.zeros((40, 60), np.uint8)
    cv2.line(img, (5, 20), (55, 20), 255, 5)
    np.testing.assert_array_equal(thin(img), thin(img > 0))
    assert set(np.unique(thin(img))) == {0, 1}


def test_thinning_nothing_gives_nothing():
    assert not thin(np.zeros((30, 30), bool)).any()



def test_ridge_tracing_gives_endings_their_direction_and_length():
    """A straight ridge ending at both sides, one of them on the image's last column: each
    end points out of the ridge, and each traces the full ten pixels back along it."""
    skeleton = np.zeros((20, 40), np.uint8)
    skeleton[10, 5:] = 1
    field = np.zeros(skeleton.shape, np.float32)  # ridges run along x
    rows, lengths = minutiae_from_skeleton(skeleton, np.ones(skeleton.shape, bool), field)
    by_x = {int(r[0]): r for r in rows}
    assert sorted(by_x) == [5, 39]
    assert all(r[3] == ENDING for r in rows)
    assert np.cos(by_x[5][2]) == pytest.approx(-1) and np.cos(by_x[39][2]) == pytest.approx(1)
    assert lengths.tolist() == [10, 10]


def test_ridge_tracing_on_a_thinned_slant_and_a_fork():
    """A thick ridge at a slant thins to a line with staircase corners: its two ends are its
    only minutiae, each pointing out of the ridge, traced through the staircase's corners
    (a tracer that stops at the first corner gets 3 steps). A Y is one
    bifurcation, at the fork, pointing along its stem away from the branches."""
    slant = np.zeros((60, 60), np.uint8)
    cv2.line(slant, (8, 10), (50, 40), 1, thickness=5)
    field = np.full(slant.shape, np.arctan2(30, 42), np.float32)  # the slant's own orientation
    rows, lengths = minutiae_from_skeleton(thin(slant), np.ones(slant.shape, bool), field)
    assert len(rows) == 2 and all(r[3] == ENDING for r in rows)
    assert lengths.tolist() == [10, 10]  # each traced the full ten steps, through the staircase
    upper, lower = sorted(rows.tolist(), key=lambda r: r[1])
    assert upper[0] < 15 and lower[0] > 43  # at the line's two ends
    assert np.cos(upper[2]) < -0.8 and np.cos(lower[2]) > 0.8  # each pointing out of the ridge
    fork = np.zeros((40, 40), np.uint8)
    fork[20, 2:20] = 1  # the stem, from the left
    for i in range(1, 15):
        fork[20 - i, 19 + i] = fork[20 + i, 19 + i] = 1  # the two branches, to the right
    rows, _ = minutiae_from_skeleton(fork, np.ones(fork.shape, bool), np.zeros(fork.shape, np.float32))
    forks = [r for r in rows if r[3] == BIFURCATION]
    assert len(forks) == 1 and (forks[0][0], forks[0][1]) == (19, 20)
    assert np.cos(forks[0][2]) == pytest.approx(-1)  # the branches open to the right


@pytest.mark.parametrize(("period", "angle"), [(6.0, 0.3), (9.0, 1.2), (12.0, 2.5)])
def test_ridge_period_of_parallel_ridges(period, angle):
    y, x = np.mgrid[0:200, 0:220].astype(np.float32)
    across = x * np.cos(angle) + y * np.sin(angle)
    ridges = np.cos(2 * np.pi * across / period).astype(np.float32)
    mask = np.ones(ridges.shape, bool)
    found = ridge_period(ridges, mask)
    assert found.shape == ridges.shape
    # the peak is the block spectrum's grid point (1/32 cycle per px apart) nearest the
    # ridges' true frequency, which for these three lies within a fifth of their period
    nearest = np.round(32 * np.array([np.cos(angle), np.sin(angle)]) / period)
    assert float(np.median(found)) == pytest.approx(32 / np.hypot(*nearest), abs=0.01)
    assert abs(float(np.median(found)) - period) < 0.2 * period


def test_ridge_period_of_an_image_smaller_than_a_block_is_the_default():
    assert np.all(ridge_period(np.zeros((20, 40), np.float32), np.ones((20, 40), bool)) == 9.0)


def test_gabor_enhancement_does_not_depend_on_its_tiling():
    """Each pixel is the whole-image filter's value, wherever tile edges fall."""
    rng = np.random.default_rng(1)
    signal = rng.standard_normal((300, 340)).astype(np.float32)
    theta = np.full(signal.shape, np.pi * 5 / 16, np.float32)
    period = np.full(signal.shape, 6 * PERIOD_STEP, np.float32)
    mask = np.zeros(signal.shape, bool)
    mask[20:280, 15:330] = True
    whole = cv2.filter2D(signal, cv2.CV_32F, gabor_kernel(5, 6 * PERIOD_STEP),
                         borderType=cv2.BORDER_REFLECT)
    out = gabor_enhance(signal, theta, period, mask)
    np.testing.assert_allclose(out[mask], whole[mask], rtol=0, atol=1e-5)
    assert not out[~mask].any()
