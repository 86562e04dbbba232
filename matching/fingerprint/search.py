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

import json
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .cylinder import CELLS, GRID_INDEX, ND, NS, Cylinders, make_cylinders
from .matcher import compare_cylinders, scored_with_flow
from .parameters import INDEX_QUANTUM as QUANTUM
from .parameters import SEARCH_SHORTLIST, TOP_LOCAL
from .ridge_flow import RidgeFlow
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


def quantised(rows: np.ndarray) -> np.ndarray:
    """Pooled rows as int8 (steps of 1/QUANTUM, clipped at ±127/QUANTUM): the index in a quarter of
    float32's memory, and widened back to float32 a chunk at a time several times faster than float16."""
    return np.clip(np.rint(rows * QUANTUM), -127, 127).astype(np.int8)


@dataclass(frozen=True)
class Candidate:
    index: int  # position in the gallery
    key: str
    score: float  # the full matcher's score
    with_flow: bool  # whether that score weighs the ridge flows (``matcher.scored_with_flow``)


class _Column:
    """A growable array of rows, doubled when full: appending is amortised O(1)."""

    def __init__(self, width: int, dtype: type, rows: int = 1024) -> None:
        self.data = np.zeros((rows, width), dtype)
        self.used = 0

    def append(self, block: np.ndarray) -> int:
        """Append ``block``'s rows; returns the index of the first."""
        while self.used + len(block) > len(self.data):
            grown = np.zeros((2 * len(self.data), self.data.shape[1]), self.data.dtype)
            grown[: self.used] = self.data[: self.used]
            self.data = grown
        start = self.used
        self.data[start : start + len(block)] = block
        self.used += len(block)
        return start

    def view(self) -> np.ndarray:
        return self.data[: self.used]

    @classmethod
    def of(cls, rows: np.ndarray) -> _Column:
        column = cls(rows.shape[1], rows.dtype, rows=max(len(rows), 1024))
        column.append(rows)
        return column

    def used_bytes(self) -> int:
        return self.used * self.data.shape[1] * self.data.itemsize


class FingerprintGallery:
    """Templates ready for search, in a compact, columnar form.

    What a template needs to be compared again is kept in a few shared arrays rather than one
    object per template (a million Python objects cost more than their numbers): its minutiae
    (float32 rows), its ridge flow (two bytes a grid point), its frame, and its pooled
    descriptors (the first stage's index, int8: 64 bytes a cylinder, ``quantised``). The full cylinders
    (about 200 KB) are kept only when they were handed in prepared (``add_prepared``) and are
    otherwise built again for the shortlist a search rescores, the last ``CACHED`` of them kept.
    """

    CACHED = 64  # per position: ten of them in each shard, about 200 KB a template
    CHUNK_ROWS = 1 << 16  # gallery cylinders the first stage multiplies at once: bounds its temporaries

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._prepared: dict[int, Cylinders] = {}
        self._cache: OrderedDict[int, Cylinders] = OrderedDict()
        self._rows = _Column(POOLED, np.int8)
        self._minutiae = _Column(5, np.float32)
        self._flow = _Column(2, np.uint8)  # (angle, coherence) per grid point, row-major
        # per template: first row, rows, first minutia, minutiae, first flow point, flow rows, flow cols,
        # width, height, quality, dpi
        self._meta = _Column(11, np.int64)

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

    def _append(self, key: str, template: Template | None, cylinders: Cylinders, keep: bool) -> None:
        block = pooled(cylinders)
        row = self._rows.append(quantised(block))
        minutia, points, flow_rows, flow_cols = self._minutiae.used, self._flow.used, 0, 0
        frame = (0, 0, 0, 0)
        if template is not None:
            minutia = self._minutiae.append(template.minutiae.astype(np.float32))
            if template.flow is not None:
                flow_rows, flow_cols = template.flow.angle.shape
                points = self._flow.append(np.stack([template.flow.angle.ravel(),
                                                     template.flow.coherence.ravel()], axis=1))
            frame = (template.width, template.height, template.quality, template.dpi)
        index = len(self.keys)
        self._meta.append(np.array([[row, len(block), minutia, len(template.minutiae) if template else 0,
                                     points, flow_rows, flow_cols, *frame]], np.int64))
        self.keys.append(key)
        if keep:
            self._prepared[index] = cylinders

    def state(self) -> dict[str, np.ndarray]:
        """The compact form as arrays (what a snapshot keeps); ``from_state`` makes the gallery again."""
        return {"keys": np.frombuffer(json.dumps(self.keys).encode(), np.uint8), "rows": self._rows.view(),
                "minutiae": self._minutiae.view(), "flow": self._flow.view(), "meta": self._meta.view()}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> FingerprintGallery:
        gallery = cls()
        gallery.keys = json.loads(bytes(state["keys"]))
        gallery._rows, gallery._minutiae = _Column.of(state["rows"]), _Column.of(state["minutiae"])
        gallery._flow, gallery._meta = _Column.of(state["flow"]), _Column.of(state["meta"])
        return gallery

    def template(self, index: int) -> Template:
        """Template ``index`` as it was added (minutiae to float32 precision)."""
        _, _, minutia, count, points, flow_rows, flow_cols, width, height, quality, dpi = \
            (int(v) for v in self._meta.data[index])
        flow = None
        if flow_rows:
            grid = self._flow.data[points : points + flow_rows * flow_cols]
            flow = RidgeFlow(grid[:, 0].reshape(flow_rows, flow_cols), grid[:, 1].reshape(flow_rows, flow_cols))
        return Template(width=width, height=height, minutiae=self._minutiae.data[minutia : minutia + count],
                        quality=quality, dpi=dpi, flow=flow)

    def cylinders(self, index: int) -> Cylinders:
        """The full cylinders of template ``index`` (kept, cached, or built again from its minutiae)."""
        if index in self._prepared:
            return self._prepared[index]
        if index in self._cache:
            self._cache.move_to_end(index)
            return self._cache[index]
        built = make_cylinders(self.template(index))
        self._cache[index] = built
        if len(self._cache) > self.CACHED:
            self._cache.popitem(last=False)
        return built

    def index_bytes(self) -> int:
        """Memory the first stage's index takes (the pooled rows in use)."""
        return self._rows.used_bytes()

    def compact_bytes(self) -> int:
        """Memory of the compact form in use: the index, the minutiae, flows and frames."""
        return sum(c.used_bytes() for c in (self._rows, self._minutiae, self._flow, self._meta))

    def first_stage(self, probe: Cylinders) -> np.ndarray:
        """A coarse score for every gallery template (higher = more alike)."""
        return self.first_stage_many([probe])[0]

    def first_stage_many(self, probes: list[Cylinders]) -> np.ndarray:
        """``first_stage`` of several probes at once, (probes, templates): each chunk of the index is
        widened to float32 once for all of them, and their rows go through one matrix product."""
        scores = np.zeros((len(probes), len(self.keys)), np.float32)
        blocks = [pooled(p) for p in probes]
        wanted = [i for i, b in enumerate(blocks) if len(b)]
        if not wanted or self._rows.used == 0:
            return scores
        stacked = np.vstack([blocks[i] for i in wanted])
        bounds = np.cumsum([0] + [len(blocks[i]) for i in wanted])
        meta = self._meta.view()
        starts, sizes = meta[:, 0], meta[:, 1]
        first = 0
        while first < len(self.keys):
            # the templates whose rows fit in one chunk (at least one template)
            last = int(np.searchsorted(starts, starts[first] + self.CHUNK_ROWS, side="left"))
            last = max(last, first + 1)
            low, high = int(starts[first]), int(starts[last - 1] + sizes[last - 1])
            nonempty = np.flatnonzero(sizes[first:last] > 0)
            if len(nonempty):
                rows = self._rows.data[low:high].astype(np.float32)
                sims = stacked @ rows.T  # (all probes' cylinders, this chunk's gallery cylinders)
                best = np.maximum.reduceat(sims, starts[first:last][nonempty] - low, axis=1)
                for row, i in enumerate(wanted):
                    own = best[bounds[row] : bounds[row + 1]]  # (this probe's cylinders, templates)
                    k = min(TOP_LOCAL, len(own))
                    top = -np.partition(-own, k - 1, axis=0)[:k]
                    scores[i, first + nonempty] = top.mean(axis=0) / QUANTUM
            first = last
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
