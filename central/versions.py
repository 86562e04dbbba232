"""A second enrollment of one application, checked 1:1 against the version it would replace.

``compare_versions`` is the check intake makes before a later record of an application may
become its current one (``store.intake``); a record that does not pass is stored held, and
waits in the adjudicators' queue (``adjudication``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from matching.face.compare import is_match
from matching.face.compare import search as face_search
from matching.fingerprint.matcher import compare
from matching.fingerprint.thresholds import VERIFY_FMR, threshold_for_fmr
from matching.fusion import fuse

from .identification import biometrics


# -- a second enrollment of one application ---------------------------------------------------
@dataclass(frozen=True)
class VersionCheck:
    """How a new version of an application's record compares with the version it would replace."""

    accepted: bool
    reason: str | None = None  # catalog id when not accepted
    face_distance: float | None = None
    finger_scores: dict[int, float] = field(default_factory=dict)  # ISO position -> matcher score
    fused: float | None = None

    def as_json(self) -> dict:
        return {"face_distance": None if self.face_distance is None else round(self.face_distance, 4),
                "finger_scores": {str(p): round(s, 4) for p, s in sorted(self.finger_scores.items())},
                "fused": None if self.fused is None or not np.isfinite(self.fused) else round(self.fused, 4)}


def compare_versions(current: tuple[dict, dict[str, bytes]], new: tuple[dict, dict[str, bytes]]) -> VersionCheck:
    """Whether ``new`` (manifest, files) is the same person as ``current``, 1:1.

    The face distance (``matching.face.compare``) and each finger against the finger at the
    same ISO position (``matching.fingerprint.matcher.compare``) are fused by the station's own
    verification rule (``matching.fusion.fuse``; fingers enter by their weakest score, so each
    takes part). The fused score alone is not enough here: the sum lets a clear match of one
    modality carry any other, and any registered station can read an enrolled application's
    face embedding and templates (``/templates``) and copy one modality into a packet of
    someone else's; so every modality both versions hold must also match on its own (the
    face at its threshold, each finger at the 1:1 threshold, ``VERIFY_FMR``). A second
    enrollment of one application is a recapture, rare and worth an adjudicator's look when
    anything disagrees. Two versions sharing no modality cannot be compared and are not accepted.
    """
    old, recaptured = biometrics(*current), biometrics(*new)
    distance = None
    if old.face is not None and recaptured.face is not None:
        distance = float(face_search(recaptured.face, old.face[None], top=1)[1][0])
    old_fingers, new_fingers = old.fingers, recaptured.fingers
    scores, agree = {}, []
    for position in sorted(old_fingers.keys() & new_fingers.keys()):
        a, b = new_fingers[position], old_fingers[position]
        scores[position] = compare(a, b)
        with_flow = a.flow is not None and b.flow is not None
        agree.append(scores[position] >= threshold_for_fmr(VERIFY_FMR, with_flow=with_flow))
    if distance is None and not scores:
        return VersionCheck(False, "central.held_nothing_to_compare")
    fused = fuse(distance, min(scores.values()) if scores else None)
    if distance is not None:
        agree.append(is_match(distance))
    accepted = fused.accepted and all(agree)
    return VersionCheck(accepted, None if accepted else "central.held_no_match", distance, scores, fused.fused)
