"""Score-level fusion of face and finger for 1:1 verification: ``matching.fusion``'s rule.

The rule (and why it is the sum of normalised scores) lives in ``matching.fusion``, because the
central record applies the same rule when a second enrollment of an application is checked
against the first, and ``central`` may import only ``matching`` and ``domain``. This module
keeps the name the flows and tests import.
"""

from __future__ import annotations

from matching.fusion import (
    FACE_SPREAD,
    FINGER_SPREAD,
    FUSED_THRESHOLD,
    FusedScore,
    face_normalised,
    finger_normalised,
    fuse,
)

__all__ = ["FACE_SPREAD", "FINGER_SPREAD", "FUSED_THRESHOLD", "FusedScore", "face_normalised",
           "finger_normalised", "fuse"]
