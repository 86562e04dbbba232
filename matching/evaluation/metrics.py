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
