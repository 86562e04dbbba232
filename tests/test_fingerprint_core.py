"""The fingerprint core on synthetic fingers: extraction, comparison, bad input."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from matching.fingerprint.extractor import extract
from matching.fingerprint.image import FingerprintImageError
from matching.fingerprint.matcher import compare


@pytest.fixture(scope="module")
def templates(synthetic_fingers):
    out = {}
    for path in sorted(synthetic_fingers.glob("*.png")):
        finger, impression = path.stem.rsplit("_", 1)
        out[(finger, int(impression))] = extract(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
    return out


def test_extraction_recovers_most_ground_truth_minutiae(synthetic_fingers, templates):
    recalls = []
    for (finger, impression), template in templates.items():
        truth = json.loads((synthetic_fingers / f"{finger}_{impression}.json").read_text())["minutiae"]
        t = np.array([[m["x"], m["y"]] for m in truth])
        found = template.minutiae[:, :2]
        distance = np.linalg.norm(t[:, None] - found[None], axis=2)
        recalls.append((distance.min(axis=1) < 12).mean())
    assert np.median(recalls) >= 0.75


def test_same_finger_scores_above_every_different_finger(templates):
    keys = sorted(templates)
    genuine, impostor = [], []
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            score = compare(templates[a], templates[b])
            (genuine if a[0] == b[0] else impostor).append(score)
    assert min(genuine) > max(impostor)
    assert min(impostor) >= 0 and max(genuine) <= 1


def test_comparison_is_symmetric_enough_and_self_is_high(templates):
    t = templates[("001", 1)]
    assert compare(t, t) > 0.5


@pytest.mark.parametrize("bad", [
    np.zeros((0, 0), np.uint8),
    np.zeros((10, 10), np.uint8),
    np.array([["a", "b"], ["c", "d"]]),
    np.full((300, 300), np.nan),
    np.zeros((5, 300, 300), np.uint8),
])
def test_bad_input_is_a_clear_error(bad):
    with pytest.raises(FingerprintImageError) as caught:
        extract(bad)
    assert caught.value.message_id.startswith("fingerprint.")


@pytest.mark.parametrize("image", [
    np.full((300, 300), 255, np.uint8),
    np.zeros((300, 300), np.uint8),
    np.random.default_rng(0).integers(0, 256, (300, 300)).astype(np.uint8),
    np.random.default_rng(0).random((300, 300)).astype(np.float32),
])
def test_blank_or_noise_gives_few_minutiae_and_never_crashes(image):
    template = extract(image)
    assert len(template) < 10
    assert compare(template, template) >= 0
