"""Identification: one decision per candidate person, at a stated FPIR for the gallery's size.

A 1:N search compares a new applicant with every enrolled person, so a threshold fitted
for one comparison (1 % or 0.1 % false matches) flags almost everyone once the gallery
holds thousands. Here each modality's score is turned into what it says about strangers:
``p``, the share of impostor comparisons that score at least as high (``ImpostorTail``,
fitted on hundreds of thousands of real impostor pairs, ``identification_tails.json``).
A candidate's modalities are fused by Fisher's method: the evidence ``-ln p`` of the
face and of every finger add up, and under the null hypothesis (a stranger whose
modalities are independent) the sum of ``k`` of them is Gamma(k)-distributed, so the
chance that a stranger reaches it is exact: ``gammaincc(k, sum)``. A candidate is flagged
when that chance is at most ``1 − (1 − FPIR)^(1/N)`` for a gallery of ``N`` persons, which
holds the false-positive identification rate at ``FPIR`` whatever the gallery's size.

So ten fingers that each agree weakly add up, one chance finger match does not flag on its
own unless it is strong enough to, and a record with fewer modalities is judged on what it
has. A finger found at another position than its own (a swapped hand) is evidence too, with
its ``p`` multiplied by the chances it had (a weighted Bonferroni: ``FingerScore.multiplicity``),
so the extra search does not raise the rate for strangers. The independence is exact for chimeric persons (how the
evaluation builds them) and an assumption for real people; docs/identification.md says how
far it may be off.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from scipy.special import gammaincc

TAILS_FILE = Path(__file__).with_name("identification_tails.json")
FPIR = 1e-3  # the stated rate: one search of a stranger in a thousand flags anyone
TAIL_SHARE = 0.01  # the top share of impostor scores the generalised Pareto tail describes
MAX_EVIDENCE = 700.0  # -ln of the smallest double: a p below it says no more


@dataclass(frozen=True)
class ImpostorTail:
    """P(an impostor pair scores ≥ s) for one modality (scores: higher = more alike).

    Below ``start`` the empirical survival function (log-interpolated between knots);
    beyond, ``start_survival`` times a generalised Pareto survival function fitted to the
    exceedances with its shape kept ≥ 0, since a fitted shape below 0 would put an end to
    the tail and call any higher score impossible for a stranger.
    """

    knots: tuple[float, ...]  # scores, increasing
    log_survival: tuple[float, ...]  # ln P(score ≥ knot), decreasing
    start: float
    start_survival: float
    shape: float
    scale: float
    pairs: int

    @classmethod
    def fit(cls, scores: np.ndarray, tail_share: float = TAIL_SHARE, knots: int = 200) -> ImpostorTail:
        s = np.sort(np.asarray(scores, np.float64))
        n = len(s)
        if n < 1000:
            raise ValueError(f"{n} impostor scores are too few to estimate a tail")
        levels = np.geomspace(1.0, tail_share, knots)
        # the score at or above which a share ``level`` of the pairs lies
        at = s[np.clip(np.ceil(n * (1 - levels)).astype(int), 0, n - 1)]
        xs, ys = [], []
        for x, level in zip(at, levels, strict=True):
            if xs and x <= xs[-1]:
                continue  # ties: the first (largest) share belongs to the score
            xs.append(float(x))
            ys.append(float(np.log(level)))
        from scipy.stats import genpareto

        start = xs[-1]
        exceed = s[s > start] - start
        shape, _, scale = genpareto.fit(exceed, floc=0)
        if shape < 0:
            shape, scale = 0.0, float(exceed.mean())
        return cls(tuple(xs), tuple(ys), start, float(math.exp(ys[-1])), float(shape), float(scale), n)

    def survival(self, score: float | np.ndarray) -> np.ndarray:
        s = np.asarray(score, np.float64)
        body = np.exp(np.interp(s, self.knots, self.log_survival, left=0.0))
        tail = self.start_survival * self._pareto_survival(np.maximum(s - self.start, 0.0))
        return np.where(s > self.start, tail, body)

    def _pareto_survival(self, x: np.ndarray) -> np.ndarray:
        """The generalised Pareto survival function (written out: scipy.stats costs a second to import)."""
        if self.shape == 0:
            return np.exp(-x / self.scale)
        return (1 + self.shape * x / self.scale) ** (-1 / self.shape)

    def _pareto_inverse(self, q: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            if self.shape == 0:
                return -self.scale * np.log(q)
            return self.scale / self.shape * (q ** -self.shape - 1)

    def evidence(self, score: float | np.ndarray) -> np.ndarray:
        """``-ln p``: 0 for a score every stranger reaches, growing as strangers run out."""
        with np.errstate(divide="ignore"):
            return np.minimum(-np.log(self.survival(score)), MAX_EVIDENCE)

    def score_at(self, evidence: float | np.ndarray) -> np.ndarray:
        """The score whose evidence is ``evidence`` (the inverse of ``evidence``)."""
        e = np.asarray(evidence, np.float64)
        body = np.interp(-e, self.log_survival[::-1], self.knots[::-1])
        beyond = np.exp(-e) / self.start_survival
        tail = self.start + self._pareto_inverse(np.clip(beyond, 0.0, 1.0))
        return np.where(e > -self.log_survival[-1], tail, body)

    def as_json(self) -> dict:
        return {"knots": list(self.knots), "log_survival": list(self.log_survival),
                "start": self.start, "start_survival": self.start_survival, "shape": self.shape,
                "scale": self.scale, "pairs": self.pairs}

    @classmethod
    def from_json(cls, data: dict) -> ImpostorTail:
        return cls(tuple(data["knots"]), tuple(data["log_survival"]), float(data["start"]),
                   float(data["start_survival"]), float(data["shape"]), float(data["scale"]), int(data["pairs"]))


@dataclass(frozen=True)
class Tails:
    face: ImpostorTail  # scores are negated face distances
    finger: ImpostorTail  # both templates carry a ridge flow
    finger_minutiae_only: ImpostorTail

    def for_finger(self, with_flow: bool) -> ImpostorTail:
        return self.finger if with_flow else self.finger_minutiae_only


@cache
def tails(path: Path = TAILS_FILE) -> Tails:
    data = json.loads(path.read_text())
    return Tails(*(ImpostorTail.from_json(data[name]) for name in ("face", "finger", "finger_minutiae_only")))


# -- one candidate -------------------------------------------------------------------------
@dataclass(frozen=True)
class FingerScore:
    """One probe finger against the candidate: the matcher's score and where it was found."""

    probe_position: int
    gallery_position: int
    score: float
    with_flow: bool
    multiplicity: int = 1  # the score's p is multiplied by this: the chances it had (Bonferroni)


@dataclass(frozen=True)
class Candidate:
    """An enrolled person a search found, with each modality and the fused decision."""

    person: str
    face_distance: float | None
    fingers: tuple[FingerScore, ...]
    evidence: float  # the sum of -ln p over the modalities
    modalities: int
    probability: float  # the chance a stranger reaches ``evidence`` with as many modalities
    flagged: bool = False

    @property
    def score(self) -> float:
        """-log10 of ``probability``: the fused score candidates are ranked by."""
        return -math.log10(self.probability) if self.probability > 0 else float("inf")

    def as_json(self) -> dict:
        return {"person": self.person,
                "face_distance": None if self.face_distance is None else round(self.face_distance, 6),
                "fingers": [{"probe_position": f.probe_position, "gallery_position": f.gallery_position,
                             "score": round(f.score, 6), "with_flow": f.with_flow, "multiplicity": f.multiplicity}
                            for f in self.fingers],
                "evidence": round(self.evidence, 6), "modalities": self.modalities,
                "probability": self.probability, "score": round(min(self.score, 1e6), 6), "flagged": self.flagged}


def finger_evidence(finger: FingerScore, model: Tails) -> float:
    p = float(model.for_finger(finger.with_flow).survival(finger.score))
    p = min(1.0, p * finger.multiplicity)
    return MAX_EVIDENCE if p <= 0 else min(-math.log(p), MAX_EVIDENCE)


def face_evidence(distance: float, model: Tails) -> float:
    return float(model.face.evidence(-distance))


def stranger_probability(evidence: float, modalities: int) -> float:
    """P(a stranger's summed evidence over ``modalities`` independent modalities ≥ ``evidence``)."""
    return float(gammaincc(modalities, evidence)) if modalities else 1.0


def flag_probability(gallery: int, fpir: float = FPIR) -> float:
    """The per-candidate chance that keeps a search of ``gallery`` strangers flagging at ``fpir``."""
    return -math.expm1(math.log1p(-fpir) / max(gallery, 1))


def fpir_at(probability: float, gallery: int) -> float:
    """The share of strangers' searches that flag anyone when each candidate flags at ``probability``."""
    return -math.expm1(gallery * math.log1p(-probability))


def candidate(person: str, face_distance: float | None, fingers: Iterable[FingerScore], gallery: int,
              model: Tails | None = None, fpir: float = FPIR) -> Candidate:
    """Fuse what a candidate offers: the face and, per probe finger, its best evidence."""
    model = model or tails()
    best: dict[int, tuple[float, FingerScore]] = {}
    for f in fingers:
        e = finger_evidence(f, model)
        if f.probe_position not in best or e > best[f.probe_position][0]:
            best[f.probe_position] = (e, f)
    total = sum(e for e, _ in best.values())
    k = len(best)
    if face_distance is not None:
        total += face_evidence(face_distance, model)
        k += 1
    probability = stranger_probability(total, k)
    kept = tuple(f for _, f in sorted(best.values(), key=lambda x: x[1].probe_position))
    return Candidate(person, face_distance, kept, float(total), k, probability,
                     k > 0 and probability <= flag_probability(gallery, fpir))


# -- how sure the stated rate is -----------------------------------------------------------
def stranger_probability_under(evidence: float, stated: Sequence[ImpostorTail], actual: Sequence[ImpostorTail],
                               step: float = 0.01, reach: float = 80.0) -> float:
    """``stranger_probability`` when the modalities' impostor scores follow ``actual`` tails
    while the evidence is computed with ``stated`` ones (a bootstrap refit, a heavier tail).

    Each modality's evidence ``-ln p_stated(X)`` is exponential when ``actual == stated``;
    otherwise its distribution is read off ``actual`` at the scores where ``stated`` gives each
    evidence, and the modalities' distributions are convolved on a grid of ``step``.
    """
    from scipy.signal import fftconvolve

    grid = np.arange(0.0, reach + step, step)
    total = np.array([1.0])
    for s, a in zip(stated, actual, strict=True):
        survival = a.survival(s.score_at(grid))  # P(evidence ≥ grid value) under ``actual``
        survival[0] = 1.0
        mass = -np.diff(np.append(survival, 0.0))  # on [grid_i, grid_i+1)
        # counted at its upper edge, so that rounding to the grid errs towards more false flags
        total = np.clip(fftconvolve(total, np.concatenate([[0.0], np.clip(mass, 0.0, None)])), 0.0, None)
    reach_index = int(math.ceil(evidence / step - 1e-9))
    return float(total[reach_index:].sum())


@dataclass(frozen=True)
class SearchOutcome:
    """What one search found: the candidates ranked by fused score, and what was not usable."""

    candidates: tuple[Candidate, ...]
    gallery: int
    unusable: tuple[str, ...] = field(default_factory=tuple)  # catalog ids

    @property
    def flagged(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.flagged)
