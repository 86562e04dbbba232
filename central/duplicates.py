"""The duplicate-identity check: every arriving record searched 1:N against the others.

A flag is advice for a supervisor, never a gate: intake stores and acknowledges a record
first and only then searches, so a slow or failing search cannot lose or delay a record.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from matching.face.compare import THRESHOLD as FACE_THRESHOLD
from matching.face.compare import search as face_search
from matching.fingerprint.iso19794_2 import FingerprintRecordError, decode_record
from matching.fingerprint.search import FingerprintGallery
from matching.fingerprint.thresholds import threshold_for_fmr

log = logging.getLogger("biostation.central")
FINGER_FMR = 1e-4  # per comparison; a 1:N search over N fingers multiplies it by N


def face_embedding(manifest: dict) -> np.ndarray | None:
    face = manifest.get("face") or {}
    values = face.get("embedding")
    if isinstance(values, list) and len(values) == 128:
        return np.asarray(values, np.float32)
    return None


def finger_templates(manifest: dict, files: dict[str, bytes]):
    """(position, Template) for each finger the record holds."""
    for finger in manifest.get("fingers") or []:
        name = finger.get("template") if isinstance(finger, dict) else None
        if name in files:
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

    def __len__(self) -> int:
        return len(self._face_keys)

    def add(self, application: str, manifest: dict, files: dict[str, bytes]) -> None:
        with self._lock:
            face = face_embedding(manifest)
            if face is not None:
                self._face_keys.append(application)
                self._faces = np.vstack([self._faces, face[None]])
            for _position, template in finger_templates(manifest, files):
                self._fingers.add(application, template)

    def check(self, application: str, manifest: dict, files: dict[str, bytes]) -> list[tuple[str, str, float]]:
        """Other applications whose face or a finger matches this record: (application, modality, score)."""
        found: dict[tuple[str, str], float] = {}
        with self._lock:
            face = face_embedding(manifest)
            if face is not None and len(self._face_keys):
                idx, dist = face_search(face, self._faces, top=10)
                for i, d in zip(idx, dist, strict=True):
                    other = self._face_keys[int(i)]
                    if other != application and d <= FACE_THRESHOLD:
                        found[(other, "face")] = max(found.get((other, "face"), 0.0), 1.0 - float(d))
            if len(self._fingers):
                for _position, template in finger_templates(manifest, files):
                    for c in self._fingers.search(template, top=5):
                        if c.key != application and c.score >= self._finger_thresholds[c.with_flow]:
                            key = (c.key, "finger")
                            found[key] = max(found.get(key, 0.0), float(c.score))
        return [(other, modality, score) for (other, modality), score in sorted(found.items())]
