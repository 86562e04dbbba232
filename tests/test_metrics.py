"""The FVC error-rate definitions, checked on score sets worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from matching.evaluation.metrics import eer, eer_interval, fnmr_at_fmr, threshold_at_fmr


def test_perfect_separation_has_zero_errors():
    genuine, impostor = np.array([0.8, 0.9]), np.array([0.1, 0.2, 0.3])
    assert eer(genuine, impostor) == 0
    assert fnmr_at_fmr(genuine, impostor, 0) == 0


def test_eer_interval_midpoint():
    # genuine 0.2, 0.6, 0.7, 0.9; impostor 0.1, 0.3, 0.5, 0.65
    genuine = np.array([0.2, 0.6, 0.7, 0.9])
    impostor = np.array([0.1, 0.3, 0.5, 0.65])
    # t = 0.6: FNMR = 1/4, FMR = 1/4 -> EER 0.25 exactly
    assert eer(genuine, impostor) == pytest.approx(0.25)


def test_fmr_operating_points():
    genuine = np.array([0.2, 0.6, 0.7, 0.9])
    impostor = np.array([0.1, 0.3, 0.5, 0.65])
    assert fnmr_at_fmr(genuine, impostor, 0.0) == pytest.approx(0.5)  # t above 0.65 refuses 0.2, 0.6
    assert fnmr_at_fmr(genuine, impostor, 0.25) == pytest.approx(0.25)  # t = 0.6 keeps 0.6
    assert fnmr_at_fmr(genuine, impostor, 0.5) == pytest.approx(0.25)
    assert fnmr_at_fmr(genuine, impostor, 1.0) == 0.0


def test_threshold_for_a_stated_false_match_rate():
    impostor = np.arange(1000) / 1000.0
    t = threshold_at_fmr(impostor, 0.01)
    assert (impostor >= t).mean() <= 0.01
    assert (impostor >= np.nextafter(t, -np.inf) - 1e-3).mean() > 0.01


def _two_finger_set(genuine_a: list[float], genuine_b: list[float], impostor: list[float]):
    genuine = np.array(genuine_a + genuine_b)
    genuine_fingers = np.array([0] * len(genuine_a) + [1] * len(genuine_b))
    impostor_fingers = np.tile([0, 1], (len(impostor), 1))
    return genuine, np.array(impostor), genuine_fingers, impostor_fingers


def test_eer_interval_is_a_point_when_every_draw_separates():
    # every genuine score above every impostor: no draw of fingers can make an error
    args = _two_finger_set([0.8, 0.9], [0.7, 0.95], [0.1, 0.2, 0.3])
    assert eer_interval(*args) == (0.0, 0.0)


def test_eer_interval_spans_what_one_finger_decides():
    # finger 0's genuine pairs all sit below the impostors, the other fingers' above: a draw
    # without finger 0 separates perfectly, one with finger 0 drawn twice fails half or more
    genuine, impostor, gf, imf = _two_finger_set([0.1, 0.15], [0.8, 0.9], [0.3, 0.4])
    # a third finger, so that draws of a finger twice still hold impostor pairs
    genuine = np.append(genuine, [0.85, 0.95])
    gf = np.append(gf, [2, 2])
    impostor = np.append(impostor, [0.35, 0.45, 0.2, 0.25])
    imf = np.vstack([imf, [[0, 2], [0, 2], [1, 2], [1, 2]]])
    low, high = eer_interval(genuine, impostor, gf, imf, resamples=400)
    assert low < eer(genuine, impostor) < high
    assert high - low >= 0.2
    # the interval is a property of the scores: the same scores give the same interval
    assert eer_interval(genuine, impostor, gf, imf, resamples=400) == (low, high)
