"""A fingerprint template: the minutiae of one impression and the frame they live in."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .ridge_flow import RidgeFlow


@dataclass(frozen=True)
class Template:
    """Minutiae at 500 dpi in image coordinates.

    ``minutiae`` rows are ``(x, y, direction, kind, quality)``; direction in radians,
    ``atan2(dy, dx)`` with y down; kind 1 ending / 2 bifurcation; quality 0–100.
    ``flow`` is the print's ridge orientation grid, when the template was extracted
    here (a template from elsewhere, or from a sensor's own buffer, has none and is
    compared on its minutiae alone).
    """

    width: int
    height: int
    minutiae: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))
    quality: int = 0  # image quality 0–100 (see quality.py)
    dpi: int = 500
    flow: RidgeFlow | None = None

    def __post_init__(self) -> None:
        m = np.asarray(self.minutiae, dtype=np.float64).reshape(-1, 5)
        object.__setattr__(self, "minutiae", m)

    def __len__(self) -> int:
        return len(self.minutiae)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Template)
            and (self.width, self.height, self.quality, self.dpi)
            == (other.width, other.height, other.quality, other.dpi)
            and np.array_equal(self.minutiae, other.minutiae)
            and self.flow == other.flow
        )

    __hash__ = None  # type: ignore[assignment]
