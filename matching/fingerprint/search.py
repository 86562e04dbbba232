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

from collections import OrderedDict
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
    """Templates ready for search, in a compact form.

    Each template keeps its minutiae and flow (a few KB) and its pooled descriptors in one
    growable matrix (the first stage's index, 256 bytes a cylinder); its full cylinders
    (about 200 KB) are kept only when they were handed in prepared (``add_prepared``) and are
    otherwise built again for the shortlist a search rescores, the last ``CACHED`` of them kept.
    Adding is amortised O(1): the matrix doubles when full instead of being rebuilt per template.
    """

    CACHED = 512

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._templates: list[Template | None] = []
        self._prepared: dict[int, Cylinders] = {}
        self._cache: OrderedDict[int, Cylinders] = OrderedDict()
        self._rows = np.zeros((1024, POOLED), np.float32)
        self._used = 0
        self._starts: list[int] = []
        self._sizes: list[int] = []

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: str, template: Template) -> Cylinders:
        """Add a template; returns its cylinders (built for the index, then let go)."""
        cylinders = make_cylinders(template)
        self._append(key, template, cylinders, keep=False)
        return cylinders

    def add_prepared(self, key: str, cylinders: Cylinders) -> None:
        """Add a template whose cylinders were built already; they are kept as they are."""
        self._append(key, None, cylinders, keep=True)

    def add_index_only(self, key: str, cylinders: Cylinders) -> None:
        """Add a template to the first stage only (its cylinders are held by another gallery)."""
        self._append(key, None, cylinders, keep=False)

    def _append(self, key: str, template: Template | None, cylinders: Cylinders, keep: bool) -> None:
        block = pooled(cylinders)
        while self._used + len(block) > len(self._rows):
            grown = np.zeros((2 * len(self._rows), POOLED), np.float32)
            grown[: self._used] = self._rows[: self._used]
            self._rows = grown
        self._rows[self._used : self._used + len(block)] = block
        self._starts.append(self._used)
        self._sizes.append(len(block))
        self._used += len(block)
        index = len(self.keys)
        self.keys.append(key)
        self._templates.append(template)
        if keep:
            self._prepared[index] = cylinders

    def cylinders(self, index: int) -> Cylinders:
        """The full cylinders of template ``index`` (kept, cached, or built again from its minutiae)."""
        if index in self._prepared:
            return self._prepared[index]
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        built = make_cylinders(self._templates[index])
        self._cache[index] = built
        if len(self._cache) > self.CACHED:
            self._cache.popitem(last=False)
        return built

    def index_bytes(self) -> int:
        """Memory the first stage's index takes (the pooled rows in use)."""
        return self._used * POOLED * 4

    def compact_bytes(self) -> int:
        """Memory of the compact form: the index, and each template's minutiae and flow."""
        held = sum(t.minutiae.nbytes + (t.flow.angle.nbytes * 2 if t.flow is not None else 0)
                   for t in self._templates if t is not None)
        return self.index_bytes() + held

    def first_stage(self, probe: Cylinders) -> np.ndarray:
        """A coarse score for every gallery template (higher = more alike)."""
        scores = np.zeros(len(self.keys), np.float32)
        p = pooled(probe)
        if len(p) == 0 or self._used == 0:
            return scores
        sims = p @ self._rows[: self._used].T  # (probe cylinders, all gallery cylinders)
        sizes = np.asarray(self._sizes)
        nonempty = sizes > 0
        best = np.maximum.reduceat(sims, np.asarray(self._starts)[nonempty], axis=1)  # (probe, templates)
        k = min(TOP_LOCAL, len(p))
        top = -np.partition(-best, k - 1, axis=0)[:k]
        scores[nonempty] = top.mean(axis=0)
        return scores

    def search(self, probe: Template, top: int = 5, shortlist: int = SEARCH_SHORTLIST) -> list[Candidate]:
        c = make_cylinders(probe)
        coarse = self.first_stage(c)
        order = np.argsort(-coarse, kind="stable")[: max(top, shortlist)]
        rescored = []
        for i in order:
            enrolled = self.cylinders(int(i))
            rescored.append(Candidate(int(i), self.keys[i], compare_cylinders(c, enrolled),
                                      scored_with_flow(c, enrolled)))
        rescored.sort(key=lambda cand: -cand.score)
        return rescored[:top]
