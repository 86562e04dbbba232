"""The FVC error-rate definitions, checked on score sets worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from matching.evaluation.metrics import eer, fnmr_at_fmr, threshold_at_fmr


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
