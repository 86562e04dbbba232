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


def choose_threshold(faces: Path, far: float | None = None, progress=None) -> dict:
    """The threshold at the calibration pairs' equal-error point, or at a stated ``far``."""
    images = calibration_images(faces)
    lfw = str(faces / "LFW")
    encodings = encode_all([p for p, _ in images], progress=progress, centred=lambda p: p.startswith(lfw))
    items = [(encodings[p][0], who) for p, who in images if encodings[p][0] is not None]
    genuine, impostor = [], []
    for (da, wa), (db, wb) in combinations(items, 2):
        d = float(np.linalg.norm(da - db))
        if d < 1e-6:
            continue  # the same photo twice (a resized copy) says nothing about thresholds
        (genuine if wa == wb else impostor).append(d)
    imp = np.sort(np.array(impostor))
    g = np.sort(np.array(genuine))
    if far is not None:
        allowed = int(np.floor(far * len(imp)))
        threshold = float(imp[allowed]) - 1e-6
    else:
        candidates = np.unique(np.concatenate([g, imp]))
        frr = 1 - np.searchsorted(g, candidates, side="right") / len(g)
        far_at = np.searchsorted(imp, candidates, side="right") / len(imp)
        threshold = float(candidates[np.argmin(np.abs(frr - far_at))])
    return {"threshold": round(threshold, 3), "rule": "eer" if far is None else f"far {far}",
            "images": len(items), "genuine_pairs": len(g), "impostor_pairs": len(imp),
            "far_at_threshold": float((imp <= threshold).mean()),
            "tar_at_threshold": float((g <= threshold).mean())}


if __name__ == "__main__":
    # python -m matching.evaluation.face_threshold [FACES_DIR] [--far RATE]: re-derive the
    # station's threshold after the face pipeline changes, then copy it into compare.py
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m matching.evaluation.face_threshold")
    parser.add_argument("faces", nargs="?", type=Path, default=Path("../shared/data/faces"))
    parser.add_argument("--far", type=float, default=None)
    args = parser.parse_args()
    print(json.dumps(choose_threshold(args.faces, args.far), indent=2))
