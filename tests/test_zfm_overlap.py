"""What the ZFM windows of two impressions share, and the alignment it is measured under."""

from __future__ import annotations

import cv2
import numpy as np

from matching.evaluation.zfm_overlap import measure_folder, shared_share, windowed_print
from matching.fingerprint.cylinder import make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.matcher import Alignment, align, compare_cylinders
from matching.fingerprint.template import Template


def _print(synthetic_fingers, name: str = "001_1") -> np.ndarray:
    return cv2.imread(str(synthetic_fingers / f"{name}.png"), cv2.IMREAD_GRAYSCALE)


def test_align_gives_the_score_and_the_transform_of_a_moved_copy(synthetic_fingers):
    t = extract(_print(synthetic_fingers))
    angle, shift = 0.3, np.array([20.0, -15.0])
    c, s = np.cos(angle), np.sin(angle)
    xy = t.minutiae[:, :2] @ np.array([[c, s], [-s, c]]) + shift
    moved = Template(t.width + 60, t.height + 60,
                     np.column_stack([xy + 30, t.minutiae[:, 2] + angle, t.minutiae[:, 3:]]))
    original = Template(t.width, t.height, t.minutiae)
    a, b = make_cylinders(moved), make_cylinders(original)
    score, alignment = align(a, b)
    assert score == compare_cylinders(a, b) > 0.5
    assert np.allclose(alignment.carry(original.minutiae[:, :2]), moved.minutiae[:, :2], atol=1e-6)
    assert np.allclose(alignment.carry_back(moved.minutiae[:, :2]), original.minutiae[:, :2], atol=1e-6)


def test_no_alignment_when_a_template_is_empty(synthetic_fingers):
    t = extract(_print(synthetic_fingers))
    assert align(make_cylinders(t), make_cylinders(Template(t.width, t.height))) == (0.0, None)


def test_the_window_follows_the_finger_and_shares_only_what_both_impressions_show(synthetic_fingers):
    finger = _print(synthetic_fingers)

    def placed(row: int, rows: slice = slice(None)) -> np.ndarray:
        """The finger's ``rows`` laid ``row`` px down a tall sensor (white elsewhere)."""
        image = np.full((finger.shape[0] + 400, finger.shape[1]), 255, np.uint8)
        part = finger[rows]
        image[row : row + part.shape[0]] = part
        return image

    top = windowed_print(placed(0), 500)
    assert shared_share(top, top, Alignment(0.0, np.zeros(2))) == 1.0
    # B's point (x, y) is the finger's (x, y - row): in A's frame, ``row`` px up. The window is
    # centred on the print wherever it lies, so it sees the same part of the finger (the image's
    # centre saw 10–70 % of it 250 px down and none of it 400 px down)
    for row in (250, 400):
        moved = windowed_print(placed(row), 500)
        assert shared_share(top, moved, Alignment(0.0, np.array([0.0, -float(row)]))) > 0.9
    # impressions that show different parts of the finger (its upper, its lower rows, each where it
    # lies on the finger) share none of it
    upper, lower = windowed_print(placed(0, np.s_[:150]), 500), windowed_print(placed(220, np.s_[220:]), 500)
    assert upper.visible.any() and lower.visible.any()
    assert shared_share(upper, lower, Alignment(0.0, np.zeros(2))) < 0.05


def test_measure_folder_counts_every_genuine_pair(synthetic_fingers):
    figures = measure_folder(synthetic_fingers)
    assert figures.genuine == 4 * 6  # four fingers, four impressions each
    assert 0 < figures.aligned <= figures.genuine
    # the synthetic impressions move a few pixels: every window sees most of its partner's print
    assert np.median(figures.shares) > 0.7
    assert figures.eer_bound == figures.hardly / (1 + figures.hardly)
