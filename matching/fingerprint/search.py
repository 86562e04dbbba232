"""1:N fingerprint search over an in-memory gallery, in two stages.

Stage one scores the probe against the whole gallery at once: every cylinder is
pooled to a 64-value descriptor (the 16×16×6 cells summed over direction and 2×2
space, then normalised), all gallery descriptors sit in one matrix, and one matrix
product gives every probe-cylinder/gallery-cylinder similarity. Per gallery
template, each probe cylinder keeps its best match (a segmented maximum) and the
template's score is the mean of the best ``n_p`` of those — the Local Similarity
Sort of MCC, without a Python loop over templates. Stage two re-scores the best
``shortlist`` candidates with the full matcher (LSA + LSS-R), whose scores are the
ones reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cylinder import CELLS, GRID_INDEX, ND, NS, Cylinders, make_cylinders
from .matcher import compare_cylinders, scored_with_flow
from .parameters import SEARCH_SHORTLIST, TOP_LOCAL
from .template import Template

POOLED = 64  # (NS / 2)² cells: the 16×16 grid pooled 2×2
# which of the 64 pooled cells (2×2 blocks of the NS×NS grid) each cylinder cell falls in
_ROW, _COLUMN = np.divmod(GRID_INDEX, NS)
_POOLING = np.zeros((CELLS, POOLED), np.float32)
_POOLING[np.arange(CELLS), (_ROW // 2) * (NS // 2) + _COLUMN // 2] = 1


def pooled(c: Cylinders) -> np.ndarray:
    """(n, 64) unit vectors: cylinders summed over direction and 2×2 cells."""
    if len(c) == 0:
        return np.zeros((0, POOLED), np.float32)
    small = c.values.reshape(len(c), CELLS, ND).sum(axis=2) @ _POOLING
    small = small - small.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(small, axis=1, keepdims=True)
    return (small / np.maximum(norm, 1e-6)).astype(np.float32)


@dataclass(frozen=True)
class Candidate:
    index: int  # position in the gallery
    key: str
    score: float  # the full matcher's score
    with_flow: bool  # whether that score weighs the ridge flows (``matcher.scored_with_flow``)


class FingerprintGallery:
    """Templates kept with their cylinders and pooled descriptors, ready for search."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.cylinders: list[Cylinders] = []
        self._blocks: list[np.ndarray] = []
        # the search index, rebuilt lazily after additions
        self._matrix: np.ndarray | None = None
        self._starts = np.zeros(0, np.int64)
        self._sizes = np.zeros(0, np.int64)

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: str, template: Template) -> None:
        self.add_prepared(key, make_cylinders(template))

    def add_prepared(self, key: str, cylinders: Cylinders) -> None:
        """Add a template whose cylinders were built already (kept with a stored record)."""
        self.keys.append(key)
        self.cylinders.append(cylinders)
        self._blocks.append(pooled(cylinders))
        self._matrix = None

    def _index(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._matrix is None:
            self._sizes = np.array([len(b) for b in self._blocks], np.int64)
            self._starts = np.concatenate([[0], np.cumsum(self._sizes)[:-1]]).astype(np.int64)
            self._matrix = np.concatenate(self._blocks) if self._blocks else np.zeros((0, POOLED), np.float32)
        return self._matrix, self._starts, self._sizes

    def first_stage(self, probe: Cylinders) -> np.ndarray:
        """A coarse score for every gallery template (higher = more alike)."""
        matrix, starts, sizes = self._index()
        scores = np.zeros(len(self.keys), np.float32)
        p = pooled(probe)
        if len(p) == 0 or len(matrix) == 0:
            return scores
        sims = p @ matrix.T  # (probe cylinders, all gallery cylinders)
        nonempty = sizes > 0
        best = np.maximum.reduceat(sims, starts[nonempty], axis=1)  # (probe, templates)
        k = min(TOP_LOCAL, len(p))
        top = -np.partition(-best, k - 1, axis=0)[:k]
        scores[nonempty] = top.mean(axis=0)
        return scores

    def search(self, probe: Template, top: int = 5, shortlist: int = SEARCH_SHORTLIST) -> list[Candidate]:
        c = make_cylinders(probe)
        coarse = self.first_stage(c)
        order = np.argsort(-coarse)[: max(top, shortlist)]
        rescored = [Candidate(int(i), self.keys[i], compare_cylinders(c, self.cylinders[i]),
                              scored_with_flow(c, self.cylinders[i])) for i in order]
        rescored.sort(key=lambda cand: -cand.score)
        return rescored[:top]
