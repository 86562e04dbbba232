"""Finger positions as ISO/IEC 19794-2 numbers them, the names every layer uses for a finger.

Records, policies, drivers, the matcher's evaluation and the central record all speak of a
finger by this one type; its ``slug`` ("right-thumb") is what files, flags and the catalog use.
"""

from __future__ import annotations

from enum import IntEnum


class FingerPosition(IntEnum):
    """ISO/IEC 19794-2 finger positions."""

    RIGHT_THUMB = 1
    RIGHT_INDEX = 2
    RIGHT_MIDDLE = 3
    RIGHT_RING = 4
    RIGHT_LITTLE = 5
    LEFT_THUMB = 6
    LEFT_INDEX = 7
    LEFT_MIDDLE = 8
    LEFT_RING = 9
    LEFT_LITTLE = 10

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_slug(cls, text: str) -> FingerPosition:
        try:
            return cls[text.strip().upper().replace("-", "_")]
        except KeyError as exc:
            known = ", ".join(p.slug for p in cls)
            raise ValueError(f"unknown finger {text!r}; known: {known}") from exc
