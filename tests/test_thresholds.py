"""The score thresholds' tables and their interpolation (``matching.fingerprint.thresholds``).

The numbers are fitted on ``../shared/data`` (``matching.evaluation.threshold_fit``); these check
what every user of the tables relies on whatever the fit gives: one threshold per stated rate, a
rarer false match never at a lower score, and the measured points returned as they were measured.
"""

from __future__ import annotations

import numpy as np
import pytest

from matching.fingerprint.thresholds import FMR_TABLE, MINUTIAE_ONLY_FMR_TABLE, VERIFY_FMR, threshold_for_fmr

TABLES = {True: FMR_TABLE, False: MINUTIAE_ONLY_FMR_TABLE}


@pytest.mark.parametrize("with_flow", [True, False])
def test_rates_fall_and_thresholds_rise(with_flow):
    table = TABLES[with_flow]
    rates, scores = zip(*table, strict=True)
    assert list(rates) == sorted(rates, reverse=True) and len(set(rates)) == len(rates)
    assert list(scores) == sorted(scores)
    assert all(0 < s < 1 for s in scores)


def test_both_tables_state_the_same_rates_and_the_verification_rate_is_one_of_them():
    assert [r for r, _ in FMR_TABLE] == [r for r, _ in MINUTIAE_ONLY_FMR_TABLE]
    assert VERIFY_FMR in dict(FMR_TABLE)


@pytest.mark.parametrize("with_flow", [True, False])
def test_measured_points_come_back_as_measured_and_between_them_the_threshold_is_monotone(with_flow):
    table = TABLES[with_flow]
    for rate, score in table:
        assert threshold_for_fmr(rate, with_flow) == pytest.approx(score, abs=1e-12)
    lowest, highest = table[-1][0], table[0][0]
    rates = np.logspace(np.log10(highest), np.log10(lowest), 50)  # falling rates
    got = [threshold_for_fmr(r, with_flow) for r in rates]
    assert got == sorted(got)


@pytest.mark.parametrize("with_flow", [True, False])
def test_outside_the_measured_rates_the_nearest_point_holds(with_flow):
    table = TABLES[with_flow]
    assert threshold_for_fmr(table[0][0] * 10, with_flow) == pytest.approx(table[0][1])
    assert threshold_for_fmr(table[-1][0] / 10, with_flow) == pytest.approx(table[-1][1])
