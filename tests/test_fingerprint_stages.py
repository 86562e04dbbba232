"""The extraction's stages on images whose answer is known: thinning, ridge period, Gabor."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from matching.fingerprint.enhancement import PERIOD_STEP, gabor_enhance, gabor_kernel
from matching.fingerprint.frequency import ridge_period
from matching.fingerprint.minutiae import crossing_number, thin


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


def test_thinning_reads_any_nonzero_pixel_as_ridge():
    img = np.zeros((40, 60), np.uint8)
    cv2.line(img, (5, 20), (55, 20), 255, 5)
    np.testing.assert_array_equal(thin(img), thin(img > 0))
    assert set(np.unique(thin(img))) == {0, 1}


def test_thinning_nothing_gives_nothing():
    assert not thin(np.zeros((30, 30), bool)).any()


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
