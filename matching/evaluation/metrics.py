"""Error rates from genuine and impostor scores (higher score = more similar).

A pair is accepted when ``score >= t``. FMR(t) is the share of impostor scores
accepted, FNMR(t) the share of genuine scores refused. The EER follows the FVC
definition exactly (Maio et al., FVC2000), as ``../shared/DESIGN.md`` spells it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RateCurve:
    thresholds: np.ndarray
    fmr: np.ndarray
    fnmr: np.ndarray


def rate_curve(genuine: np.ndarray, impostor: np.ndarray) -> RateCurve:
    """FMR and FNMR at every distinct score, plus one threshold above them all."""
    g = np.sort(np.asarray(genuine, float))
    i = np.sort(np.asarray(impostor, float))
    scores = np.unique(np.concatenate([g, i]))
    top = scores[-1] + 1.0 if len(scores) else 1.0
    t = np.append(scores, top)
    fnmr = np.searchsorted(g, t, side="left") / max(len(g), 1)  # genuine below t
    fmr = 1.0 - np.searchsorted(i, t, side="left") / max(len(i), 1)  # impostor at or above t
    return RateCurve(t, fmr, fnmr)


def eer(genuine: np.ndarray, impostor: np.ndarray) -> float:
    c = rate_curve(genuine, impostor)
    below = np.nonzero(c.fnmr <= c.fmr)[0]
    above = np.nonzero(c.fnmr >= c.fmr)[0]
    t1 = below.max()  # FNMR rises with t and FMR falls, so the largest index is max t
    t2 = above.min()
    if c.fnmr[t1] + c.fmr[t1] <= c.fmr[t2] + c.fnmr[t2]:
        low, high = c.fnmr[t1], c.fmr[t1]
    else:
        low, high = c.fmr[t2], c.fnmr[t2]
    return float((low + high) / 2)


def eer_interval(genuine: np.ndarray, impostor: np.ndarray, genuine_fingers: np.ndarray,
                 impostor_fingers: np.ndarray, level: float = 0.90, resamples: int = 200,
                 seed: int = 0) -> tuple[float, float]:
    """How far the EER could move by chance: a bootstrap interval over the set's fingers.

    A set of ten fingers gives 280 genuine pairs, so one pair is 0.36 % of FNMR, and pairs of
    one finger fail together (a dry finger fails in all its impressions). So fingers, not
    pairs, are resampled with replacement: a genuine pair of finger ``f`` counts as often as
    ``f`` was drawn, an impostor pair of ``f`` and ``g`` as the product of theirs (Bolle, Ratha
    and Pankanti's subsets bootstrap). ``genuine_fingers`` is (G,) the finger of each genuine
    pair, ``impostor_fingers`` (I, 2) the two fingers of each impostor pair, as indices from 0.
    The fixed seed makes the interval a property of the scores, so two runs of the same
    scores give the same interval.
    """
    genuine, impostor = np.asarray(genuine, float), np.asarray(impostor, float)
    gf = np.asarray(genuine_fingers, int)
    imf = np.asarray(impostor_fingers, int).reshape(-1, 2)
    fingers = int(max(gf.max(initial=-1), imf.max(initial=-1))) + 1
    rng = np.random.default_rng(seed)
    rates = []
    for _ in range(resamples):
        drawn = np.bincount(rng.integers(0, fingers, fingers), minlength=fingers)
        g = np.repeat(genuine, drawn[gf])
        i = np.repeat(impostor, drawn[imf[:, 0]] * drawn[imf[:, 1]])
        if len(g) and len(i):  # a draw of one finger only has no impostor pair
            rates.append(eer(g, i))
    if not rates:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(rates, [tail, 100 - tail])
    return float(low), float(high)


def fnmr_at_fmr(genuine: np.ndarray, impostor: np.ndarray, max_fmr: float) -> float:
    """The lowest FNMR over thresholds whose FMR is at most ``max_fmr`` (FMR100, FMR1000, ZeroFMR)."""
    c = rate_curve(genuine, impostor)
    ok = c.fmr <= max_fmr + 1e-12
    return float(c.fnmr[ok].min())


def threshold_at_fmr(impostor: np.ndarray, max_fmr: float) -> float:
    """The lowest threshold whose FMR on these impostor scores is at most ``max_fmr``."""
    i = np.sort(np.asarray(impostor, float))
    if len(i) == 0:
        return 0.0
    allowed = int(np.floor(max_fmr * len(i)))  # impostors we may accept
    if allowed >= len(i):
        return float(i[0])
    # accept at most `allowed`: threshold just above the (allowed+1)-th highest score
    return float(np.nextafter(i[len(i) - 1 - allowed], np.inf))


def summary(genuine: np.ndarray, impostor: np.ndarray) -> dict[str, float | int]:
    return {
        "eer": eer(genuine, impostor),
        "fmr100": fnmr_at_fmr(genuine, impostor, 0.01),
        "fmr1000": fnmr_at_fmr(genuine, impostor, 0.001),
        "zero_fmr": fnmr_at_fmr(genuine, impostor, 0.0),
        "genuine": int(len(genuine)),
        "impostor": int(len(impostor)),
    }
