"""Choosing the station's face threshold on data other than the LFW test pairs.

Calibration pairs: every pair of the LFW images that ``pairs.txt`` does not use (the
extra photos of the most photographed people), plus every pair within the deepface
and face_recognition sample folders. The threshold is the largest distance whose
false-accept rate on these impostor pairs is at most the stated rate.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np

from .lfw import encode_all, read_pairs


def calibration_images(faces: Path) -> list[tuple[str, str]]:
    """(path, identity) for every calibration image."""
    lfw = faces / "LFW"
    used = {p for pair in read_pairs(lfw / "pairs.txt", lfw) for p in (pair.a, pair.b)}
    out = [(str(p), p.parent.name) for p in sorted(lfw.glob("*/*.jpg")) if str(p) not in used]
    for extra in ("DEEPFACE_TESTS", "FACE_RECOGNITION_EXAMPLES"):
        for p in sorted((faces / extra).glob("*/*.jpg")):
            if not p.parent.name.startswith("_"):
                out.append((str(p), f"{extra}/{p.parent.name}"))
    return out


def choose_threshold(faces: Path, far: float = 0.001, progress=None) -> dict:
    images = calibration_images(faces)
    encodings = encode_all([p for p, _ in images], progress=progress)
    items = [(encodings[p][0], who) for p, who in images if encodings[p][0] is not None]
    genuine, impostor = [], []
    for (da, wa), (db, wb) in combinations(items, 2):
        d = float(np.linalg.norm(da - db))
        if d < 1e-6:
            continue  # the same photo twice (a resized copy) says nothing about thresholds
        (genuine if wa == wb else impostor).append(d)
    imp = np.sort(np.array(impostor))
    allowed = int(np.floor(far * len(imp)))
    threshold = float(imp[allowed]) - 1e-6 if len(imp) else 0.6
    g = np.array(genuine)
    return {"threshold": round(threshold, 3), "far_target": far, "images": len(items),
            "genuine_pairs": len(g), "impostor_pairs": len(imp),
            "tar_at_threshold": float((g <= threshold).mean()) if len(g) else 0.0}
