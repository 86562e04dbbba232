"""The LFW protocol: ``pairs.txt`` (folds of matched then mismatched pairs) over face folders.

Each image is encoded once, in worker processes (dlib holds the GIL). Detection is
dlib's HOG detector with one upsample; where it finds nothing, a documented second
pass runs the detector on the centre of the image enlarged twice (LFW images are
centred on their subject), and on the mirrored image. Where neither finds a face, the
last fallback is the centre box where LFW's own detector placed the subject (every
LFW image is cut around that box): it is counted and reported, and only an image that
cannot be read at all is a failure to enroll (every pair using it counts as an error).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from matching.images import check_image, read_image

from .metrics import eer, rate_curve


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool
    fold: int


def image_path(root: Path, name: str, number: int) -> Path:
    return root / name / f"{name}_{number:04d}.jpg"


def read_pairs(pairs_file: Path, root: Path) -> list[Pair]:
    lines = pairs_file.read_text().split("\n")
    folds, per = (int(x) for x in lines[0].split())
    rows = [line.split() for line in lines[1:] if line.strip()]
    pairs = []
    for i, row in enumerate(rows[: folds * per * 2]):
        fold = i // (2 * per)
        if len(row) == 3:
            pairs.append(Pair(str(image_path(root, row[0], int(row[1]))),
                              str(image_path(root, row[0], int(row[2]))), True, fold))
        elif len(row) == 4:
            pairs.append(Pair(str(image_path(root, row[0], int(row[1]))),
                              str(image_path(root, row[2], int(row[3]))), False, fold))
        else:
            raise ValueError(f"{pairs_file}: line {i + 2} is not an LFW pair")
    return pairs


# LFW cuts every image around its subject: a detection whose centre is further than this
# (a fraction of the image's width or height) from the image centre is someone behind them
OFF_CENTRE = 0.25


def _near_centre(boxes: list, w: int, h: int) -> list:
    return [b for b in boxes if abs((b.left + b.right) / 2 - w / 2) <= OFF_CENTRE * w
            and abs((b.top + b.bottom) / 2 - h / 2) <= OFF_CENTRE * h]


def locate_face(rgb: np.ndarray, centred: bool = True):
    """The subject's face box: the detection nearest the centre, else the fallbacks above.

    ``centred`` says the photo is cut around its subject, as every LFW image is; for
    other photos (the calibration set's extra folders) any detection is the subject.
    """
    from matching.face.detection import FaceBox, centre_box, detect

    h, w = rgb.shape[:2]

    def subject(found: list) -> list:
        return _near_centre(found, w, h) if centred else found

    boxes = subject(detect(rgb, upsample=1))
    if not boxes:
        # second pass: the centre of the image, enlarged, where LFW keeps its subject
        y0, x0 = h // 4, w // 4
        crop = cv2.resize(rgb[y0 : h - y0, x0 : w - x0], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        found = detect(np.ascontiguousarray(crop), upsample=1)
        boxes = subject([FaceBox(x0 + b.left // 2, y0 + b.top // 2, x0 + b.right // 2, y0 + b.bottom // 2,
                                 b.score, "second_pass") for b in found])
    if not boxes:
        found = detect(np.ascontiguousarray(rgb[:, ::-1]), upsample=1)
        boxes = subject([FaceBox(w - 1 - b.right, b.top, w - 1 - b.left, b.bottom, b.score, "second_pass")
                         for b in found])
    if not boxes:
        return centre_box(rgb)
    cx, cy = w / 2, h / 2
    return min(boxes, key=lambda b: ((b.left + b.right) / 2 - cx) ** 2 + ((b.top + b.bottom) / 2 - cy) ** 2)


def _encode_file(job: tuple[str, bool]) -> tuple[str, np.ndarray | None, float, str]:
    from matching.face.detection import as_rgb
    from matching.face.embedding import encode

    path, centred = job
    image = read_image(path, "face", cv2.IMREAD_COLOR)
    if image is None:
        return path, None, 0.0, "unreadable"
    rgb = as_rgb(image)
    box = locate_face(rgb, centred)
    started = time.perf_counter()
    encoding = encode(rgb, box)
    return path, encoding.descriptor, (time.perf_counter() - started) * 1000, box.source


def encode_all(paths: list[str], workers: int | None = None,
               progress: Callable[[int], None] | None = None,
               centred: Callable[[str], bool] = lambda path: True) -> dict[str, tuple]:
    """Descriptor, encode time and box source per path; ``centred(path)`` as for ``locate_face``."""
    workers = workers or min(2, os.cpu_count() or 1)
    out = {}
    with ProcessPoolExecutor(workers) as pool:
        jobs = [(p, centred(p)) for p in paths]
        for path, descriptor, ms, source in pool.map(_encode_file, jobs, chunksize=8):
            out[path] = (descriptor, ms, source)
            if progress:
                progress(1)
    return out


def pair_distances(pairs: list[Pair], encodings: dict[str, tuple]) -> tuple[np.ndarray, np.ndarray]:
    """Distance per pair (±inf, an error either way, where an image has no encoding) and sameness."""
    distances = []
    for pair in pairs:
        da, db = encodings[pair.a][0], encodings[pair.b][0]
        if da is None or db is None:
            distances.append(np.inf if pair.same else -np.inf)
        else:
            distances.append(float(np.linalg.norm(da - db)))
    return np.array(distances), np.array([p.same for p in pairs])


def evaluate_pairs(pairs: list[Pair], encodings: dict[str, tuple], threshold: float) -> dict:
    d, s = pair_distances(pairs, encodings)
    failed_pairs = int((~np.isfinite(d)).sum())
    correct = np.where(s, d <= threshold, d > threshold)
    finite = np.isfinite(d)
    genuine, impostor = -d[s & finite], -d[~s & finite]
    curve = rate_curve(genuine, impostor)
    ok = curve.fmr <= 0.001
    tar = float(1 - curve.fnmr[ok].min()) if ok.any() else 0.0
    # pairs that could not be compared count as errors in the rates too
    n_gen, n_imp = int(s.sum()), int((~s).sum())
    tar *= len(genuine) / max(n_gen, 1)
    ms = [e[1] for e in encodings.values() if e[0] is not None]
    return {
        "accuracy": float(correct.mean()),
        "eer": eer(np.append(genuine, [-np.inf] * (n_gen - len(genuine))),
                   np.append(impostor, [np.inf] * (n_imp - len(impostor)))),
        "tar_at_far_0_001": tar,
        "threshold": threshold,
        "pairs": len(pairs),
        "failures_to_enroll": sum(1 for e in encodings.values() if e[0] is None),
        "second_pass_detections": sum(1 for e in encodings.values() if e[2] == "second_pass"),
        "centre_box_fallbacks": sum(1 for e in encodings.values() if e[2] == "centre_box"),
        "failed_pairs": failed_pairs,
        "encode_ms_median": float(np.median(ms)) if ms else 0.0,
    }


def evaluate_lfw(root: Path, pairs_file: Path, threshold: float, workers: int | None = None,
                 progress: Callable[[int], None] | None = None,
                 encode: Callable[..., dict[str, tuple]] | None = None) -> tuple[dict, np.ndarray, np.ndarray]:
    """``encode(paths, workers, progress)`` gives each path's (descriptor, ms, box source):
    ``encode_all`` unless the caller keeps encodings for other evaluations of the same run."""
    pairs = read_pairs(pairs_file, root)
    paths = sorted({p.a for p in pairs} | {p.b for p in pairs})
    for path in paths:  # every header before any work: an image bomb is refused now, not hours in
        check_image(path, "face")
    encodings = (encode or encode_all)(paths, workers, progress)
    figures = evaluate_pairs(pairs, encodings, threshold)
    d, same = pair_distances(pairs, encodings)
    finite = np.isfinite(d)
    return figures, d[same & finite], d[~same & finite]


def image_count(pairs_file: Path, root: Path) -> int:
    pairs = read_pairs(pairs_file, root)
    return len({p.a for p in pairs} | {p.b for p in pairs})
