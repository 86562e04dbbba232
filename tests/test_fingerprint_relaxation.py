"""LSS-R's relaxation on pairs whose geometry is known: how a pair's support is counted."""

from __future__ import annotations

import numpy as np
import pytest

from matching.fingerprint.matcher import (
    MU_1,
    MU_2,
    N_REL,
    SUPPORT_PAIRS,
    TAU_1,
    TAU_2,
    W_R,
    consolidate,
)

SIMILARITY = 0.6
# rho of two pairs whose distances and angles agree exactly: Z(0; mu1, tau1) Z(0; mu2, tau2)²
AGREE = 1 / ((1 + np.exp(TAU_1 * MU_1)) * (1 + np.exp(TAU_2 * MU_2)) ** 2)


def pairs(agreeing: int, strays: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A diagonal similarity matrix over ``agreeing + strays`` pairs, and the two sides' minutiae.

    The agreeing pairs are one minutia at the same place and direction in both prints, so
    every two of them agree exactly; a stray's minutia in B lies thousands of pixels from
    anything A's neighbourhood predicts, so it agrees with no other pair.
    """
    rng = np.random.default_rng(seed)
    n = agreeing + strays
    a = np.column_stack([rng.uniform(0, 400, (n, 2)), rng.uniform(-np.pi, np.pi, n)])
    b = a.copy()
    b[agreeing:, :2] = rng.uniform(2000, 6000, (strays, 2))
    return np.eye(n) * SIMILARITY, a, b


def relaxed(agreeing: int, support_out_of: int) -> float:
    """What each agreeing pair's weight becomes: ``N_REL`` steps of
    ``λ ← W_R λ + (1 − W_R) ρ (agreeing − 1) λ / support_out_of``."""
    return SIMILARITY * (W_R + (1 - W_R) * AGREE * (agreeing - 1) / support_out_of) ** N_REL


@pytest.mark.parametrize("strays", [10, 25])
def test_up_to_the_cap_support_is_the_share_of_the_other_pairs(strays):
    score, ia, ib = consolidate(*pairs(30, strays))
    k = 30 + strays
    assert k - 1 <= SUPPORT_PAIRS
    assert score == pytest.approx(relaxed(30, k - 1), rel=1e-6)
    assert set(ia) <= set(range(30)) and np.array_equal(ia, ib)  # the pairs it rests on agree


@pytest.mark.parametrize("strays", [SUPPORT_PAIRS, 2 * SUPPORT_PAIRS, 3 * SUPPORT_PAIRS])
def test_past_the_cap_pairs_that_agree_with_nothing_no_longer_dilute_the_support(strays):
    """A large print pairs every minutia of the smaller template, most of them with nothing
    the other impression shows; what the pairs that agree score must not fall with that."""
    score, ia, _ = consolidate(*pairs(30, strays))
    assert score == pytest.approx(relaxed(30, SUPPORT_PAIRS), rel=1e-6)
    assert set(ia) <= set(range(30))


def test_relaxed_scores_stay_within_one():
    """Counted in pairs, a print with many agreeing pairs lifts them above their own
    similarity; the score is still a similarity."""
    sim, a, b = pairs(150, 0)
    score, _, _ = consolidate(sim / SIMILARITY, a, b)
    assert score == 1.0
