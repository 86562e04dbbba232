"""What a stored record offers the 1:N search (``matching.gallery``): its face vector and finger templates.

A part that cannot be used (a damaged embedding, a template that does not decode) is left
out and named, so the search runs on the rest and the record's search status says what was
missing. A person in the gallery is an application.
"""

from __future__ import annotations

import numpy as np

from matching.fingerprint.iso19794_2 import FingerprintRecordError, decode_record
from matching.fingerprint.template import Template
from matching.gallery import Biometrics


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


def biometrics(manifest: dict, files: dict[str, bytes]) -> Biometrics:
    """The usable face and fingers of a record, and a note of each part that is not usable."""
    unusable = []
    face = face_embedding(manifest)
    if face is None and manifest.get("face"):
        unusable.append("central.search_face_unusable")
    fingers: dict[int, Template] = {}
    for finger in manifest.get("fingers") or []:
        name = finger.get("template") if isinstance(finger, dict) else None
        if not isinstance(name, str) or name not in files:
            continue  # an exempted finger: nothing to search
        try:
            template, position = decode_record(files[name])
        except FingerprintRecordError:
            unusable.append("central.search_finger_unusable")
            continue
        fingers[position] = template
    if face is None and not fingers:
        unusable.append("central.search_nothing_usable")
    return Biometrics(face, fingers, tuple(dict.fromkeys(unusable)))
