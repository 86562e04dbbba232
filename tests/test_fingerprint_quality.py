"""The fingerprint quality score: falls with noise and blur, near zero for non-prints."""

from __future__ import annotations

import cv2
import numpy as np

from matching.fingerprint.quality import assess


def test_quality_falls_as_noise_rises(synthetic_fingers):
    image = cv2.imread(str(sorted(synthetic_fingers.glob("*.png"))[0]), cv2.IMREAD_GRAYSCALE)
    rng = np.random.default_rng(0)
    scores = []
    for sigma in (0, 40, 80, 120):
        noisy = np.clip(image + rng.normal(0, sigma, image.shape), 0, 255).astype(np.uint8)
        scores.append(assess(noisy).score)
    assert scores == sorted(scores, reverse=True) and scores[0] - scores[-1] >= 15
    assert scores[0] >= 70


def test_blur_and_partial_prints_score_lower(synthetic_fingers):
    image = cv2.imread(str(sorted(synthetic_fingers.glob("*.png"))[1]), cv2.IMREAD_GRAYSCALE)
    base = assess(image).score
    assert assess(cv2.GaussianBlur(image, (0, 0), 3)).score < base - 10
    partial = image.copy()
    partial[:, : image.shape[1] * 2 // 3] = 235  # two thirds of the finger off the sensor
    assert assess(partial).score < base - 10


def test_not_a_fingerprint_scores_near_zero():
    rng = np.random.default_rng(1)
    assert assess(np.full((300, 300), 255, np.uint8)).score == 0
    assert assess(np.zeros((0, 0), np.uint8)).score == 0
    assert assess(rng.integers(0, 256, (300, 300)).astype(np.uint8)).score < 25
    assert assess(cv2.GaussianBlur(rng.integers(0, 256, (300, 300)).astype(np.uint8), (0, 0), 2)).score < 25
