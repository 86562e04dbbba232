"""1:1 decisions on face descriptors, and 1:N search over an in-memory gallery.

The station compares by Euclidean distance and accepts at or below ``THRESHOLD``
(``parameters.MATCH_THRESHOLD``). The threshold is fixed, not tuned on the pairs we report:
see docs/accuracy.md, "Faces", for the data it was chosen on and the false-accept rate it stands for there.
"""

from __future__ import annotations

import numpy as np

from .parameters import MATCH_THRESHOLD as THRESHOLD
from .parameters import SIMILARITY_SCALE


def similarity(distance: float | np.ndarray) -> float | np.ndarray:
    """A 0..1 score (1 = identical) for people who read scores: 1 - distance / 1.2, clipped."""
    return np.clip(1.0 - np.asarray(distance) / SIMILARITY_SCALE, 0.0, 1.0)


def is_match(distance: float, threshold: float = THRESHOLD) -> bool:
    return distance <= threshold


def search(probe: np.ndarray, gallery: np.ndarray, top: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Indices and distances of the ``top`` nearest gallery rows (vectorised, float32)."""
    g = np.asarray(gallery, np.float32)
    p = np.asarray(probe, np.float32)
    d2 = np.einsum("ij,ij->i", g, g) - 2 * g @ p + float(p @ p)
    top = min(top, len(g))
    idx = np.argpartition(d2, top - 1)[:top] if top < len(g) else np.arange(len(g))
    idx = idx[np.argsort(d2[idx])]
    return idx, np.sqrt(np.maximum(d2[idx], 0))
