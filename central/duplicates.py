"""The duplicate-identity check: every arriving record searched 1:N against the others.

A flag is advice for a supervisor, never a gate: intake stores and acknowledges a record
first and only then searches, so a slow or failing search cannot lose or delay a record.
An application's own earlier versions are never candidates (a re-enrollment is not a
duplicate identity), and they do not take the places of other applications in a search's top.

``compare_versions`` is the 1:1 check intake makes before a second record of one application
may replace the first: see its docstring.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from matching.face.compare import THRESHOLD as FACE_THRESHOLD
from matching.face.compare import is_match
from matching.face.compare import search as face_search
from matching.fingerprint.iso19794_2 import FingerprintRecordError, decode_record
from matching.fingerprint.matcher import compare
from matching.fingerprint.search import FingerprintGallery
from matching.fingerprint.thresholds import VERIFY_FMR, threshold_for_fmr
from matching.fusion import fuse

log = logging.getLogger("biostation.central")
FINGER_FMR = 1e-4  # per comparison; a 1:N search over N fingers multiplies it by N


def face_embedding(manifest: dict) -> np.ndarray | None:
    face = manifest.get("face") or {}
    values = face.get("embedding") if isinstance(face, dict) else None
    if isinstance(values, list) and len(values) == 128:
        try:
            vector = np.asarray(values, np.float32)
        except (TypeError, ValueError):
            return None
        return vector if np.isfinite(vector).all() else None
    return None


def finger_templates(manifest: dict, files: dict[str, bytes]):
    """(position, Template) for each finger the record holds."""
    for finger in manifest.get("fingers") or []:
        name = finger.get("template") if isinstance(finger, dict) else None
        if isinstance(name, str) and name in files:
            try:
                template, position = decode_record(files[name])
            except FingerprintRecordError:
                continue
            yield position, template


class DuplicateIndex:
    """Face embeddings and finger templates of every stored record, searched as records arrive."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._face_keys: list[str] = []
        self._faces = np.zeros((0, 128), np.float32)
        self._fingers = FingerprintGallery()
        # a record from another vendor may carry no ridge flow; a pair scored without one
        # (``Candidate.with_flow``) takes the minutiae-only calibration
        self._finger_thresholds = {both: threshold_for_fmr(FINGER_FMR, with_flow=both) for both in (True, False)}
        # entries per application: a search asks for that many more, so that an application's own
        # versions, skipped as candidates, do not push other applications out of the top
        self._own_faces: Counter[str] = Counter()
        self._own_fingers: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._face_keys)

    def add(self, application: str, manifest: dict, files: dict[str, bytes]) -> None:
        with self._lock:
            face = face_embedding(manifest)
            if face is not None:
                self._face_keys.append(application)
                self._faces = np.vstack([self._faces, face[None]])
                self._own_faces[application] += 1
            for _position, template in finger_templates(manifest, files):
                self._fingers.add(application, template)
                self._own_fingers[application] += 1

    def check(self, application: str, manifest: dict, files: dict[str, bytes]) -> list[tuple[str, str, float]]:
        """Other applications whose face or a finger matches this record: (application, modality, score)."""
        found: dict[tuple[str, str], float] = {}
        with self._lock:
            face = face_embedding(manifest)
            if face is not None and len(self._face_keys):
                idx, dist = face_search(face, self._faces, top=10 + self._own_faces[application])
                for i, d in zip(idx, dist, strict=True):
                    other = self._face_keys[int(i)]
                    if other != application and d <= FACE_THRESHOLD:
                        found[(other, "face")] = max(found.get((other, "face"), 0.0), 1.0 - float(d))
            if len(self._fingers):
                for _position, template in finger_templates(manifest, files):
                    for c in self._fingers.search(template, top=5 + self._own_fingers[application]):
                        if c.key != application and c.score >= self._finger_thresholds[c.with_flow]:
                            key = (c.key, "finger")
                            found[key] = max(found.get(key, 0.0), float(c.score))
        return [(other, modality, score) for (other, modality), score in sorted(found.items())]


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
    (current_manifest, current_files), (new_manifest, new_files) = current, new
    old_face, new_face = face_embedding(current_manifest), face_embedding(new_manifest)
    distance = None
    if old_face is not None and new_face is not None:
        distance = float(face_search(new_face, old_face[None], top=1)[1][0])
    old_fingers = dict(finger_templates(current_manifest, current_files))
    new_fingers = dict(finger_templates(new_manifest, new_files))
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
