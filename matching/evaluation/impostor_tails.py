"""Impostor scores by the hundred thousand, and the tails identification is calibrated on.

A 1:N search over a million people asks how often a stranger scores as high as a
candidate, far beyond what a 1:1 threshold was fitted for. This gathers every impostor
pair the real samples hold, in the form the deployed gallery has:

- fingers: every real set (the synthetic FVC DB4 sets and the unmated sensor captures
  left out) seen through the ZFM view, since the gallery is ZFM images; every pair of
  different fingers within a set (within one sensor, the hard case) and every pair across
  sets; each scored with the ridge flows and with minutiae alone (another vendor's record);
- faces: every pair of LFW images of different people.

``fit`` turns the scores into ``matching.identification.ImpostorTail`` tables (the file
``matching/identification_tails.json``): the empirical survival function down to its top
1 %, a generalised Pareto tail beyond. Reproduce with
``python -m matching.evaluation.impostor_tails --data ../shared/data``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
from tqdm import tqdm

from matching.workers import FRESH_PROCESSES

from .fvc import _extract_one, _share_cores, finger_id, folder_dpi, list_images

SYNTHETIC_SETS = ("FVC2000_DB4_B", "FVC2002_DB4_B")
# Sets whose finger ids name the same fingers, captured on two sensors: FVC2000's DB1 and DB2 (measured
# through the ZFM view: same-id pairs across the two score 0.127 at the median, 0.225 at p90; other pairs
# 0.012 and, at p99, 0.040). Their same-id pairs are mates, not impostors.
SAME_FINGERS = (("FVC2000_DB1_B", "FVC2000_DB2_B"),)
UNMATED_SETS = ("LIBFPRINT_SENSOR_CAPTURES",)
TAILS_FILE = Path(__file__).resolve().parents[1] / "identification_tails.json"

_CYLINDERS: dict[bool, list] = {}


def real_finger_sets(data: Path) -> list[Path]:
    root = data / "fingerprints"
    return [p for p in sorted(root.iterdir())
            if p.is_dir() and p.name not in SYNTHETIC_SETS + UNMATED_SETS]


def impostor_pairs(fingers: np.ndarray, sets: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which pairs (a, b) are of different fingers: not the same finger of one set, nor one finger that
    two sets hold (``SAME_FINGERS``)."""
    keep = fingers[a] != fingers[b]
    ids = np.asarray([f.split("/", 1)[1] for f in fingers])
    for one, other in SAME_FINGERS:
        across = ((sets[a] == one) & (sets[b] == other)) | ((sets[a] == other) & (sets[b] == one))
        keep &= ~(across & (ids[a] == ids[b]))
    return keep


def _init(threads: int, templates: list) -> None:
    from matching.fingerprint.cylinder import make_cylinders

    _share_cores(threads)
    _CYLINDERS[True] = [make_cylinders(t) for t in templates]
    _CYLINDERS[False] = [make_cylinders(replace(t, flow=None)) for t in templates]


def _score_chunk(pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from matching.fingerprint.matcher import compare_cylinders

    flow = [compare_cylinders(_CYLINDERS[True][a], _CYLINDERS[True][b]) for a, b in pairs]
    bare = [compare_cylinders(_CYLINDERS[False][a], _CYLINDERS[False][b]) for a, b in pairs]
    return np.asarray(flow), np.asarray(bare)


def finger_impostor_scores(data: Path, workers: int = 2) -> dict[str, np.ndarray]:
    """Scores of every impostor pair among the real fingers, in their ZFM view."""
    jobs, sets, fingers = [], [], []
    for folder in real_finger_sets(data):
        dpi = folder_dpi(folder, None)
        for path in list_images(folder):
            jobs.append((str(path), dpi, "zfm"))
            sets.append(folder.name)
            fingers.append(folder.name + "/" + finger_id(path))
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES, initializer=_share_cores,
                             initargs=(threads,)) as pool:
        templates = [t for t, _ in tqdm(pool.map(_extract_one, jobs, chunksize=4), total=len(jobs),
                                        desc="finger templates (ZFM view)", file=sys.stderr)]
    n = len(templates)
    a, b = np.triu_indices(n, 1)
    fingers_arr, sets_arr = np.asarray(fingers), np.asarray(sets)
    keep = impostor_pairs(fingers_arr, sets_arr, a, b)
    a, b = a[keep], b[keep]
    within = sets_arr[a] == sets_arr[b]
    pairs = np.stack([a, b], axis=1)
    chunks = [pairs[k : k + 500] for k in range(0, len(pairs), 500)]
    flow, bare = [], []
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES, initializer=_init,
                             initargs=(threads, templates)) as pool, \
            tqdm(total=len(pairs), desc="finger impostor pairs", file=sys.stderr) as bar:
        for f, m in pool.map(_score_chunk, chunks):
            flow.append(f)
            bare.append(m)
            bar.update(len(f))
    return {"finger_flow": np.concatenate(flow), "finger_bare": np.concatenate(bare),
            "finger_within_set": within}


def face_impostor_distances(data: Path, workers: int = 2) -> np.ndarray:
    """Distances of every pair of LFW images of different people."""
    from .lfw import encode_all

    root = data / "faces" / "LFW"
    paths = sorted(str(p) for p in root.glob("*/*.jpg"))
    with tqdm(total=len(paths), desc="LFW faces", file=sys.stderr) as bar:
        encoded = encode_all(paths, workers, progress=bar.update)
    people = np.asarray([Path(p).parent.name for p in paths if encoded[p][0] is not None])
    vectors = np.stack([encoded[p][0] for p in paths if encoded[p][0] is not None]).astype(np.float64)
    a, b = np.triu_indices(len(vectors), 1)
    keep = people[a] != people[b]
    a, b = a[keep], b[keep]
    return np.linalg.norm(vectors[a] - vectors[b], axis=1)


GALLERIES = (10_000, 100_000, 1_000_000)
BOOTSTRAP = 100


def fit(scores: dict[str, np.ndarray], bootstrap: int = BOOTSTRAP, seed: int = 0) -> dict:
    """The tails file's content: one ``ImpostorTail`` table per modality, and how sure the stated FPIR is.

    The bound: the tails are fitted again on ``bootstrap`` resamples of the impostor scores; under each
    refit, the chance that a stranger's face and two fingers reach the flag threshold set with the
    shipped tails (``stranger_probability_under``) gives an FPIR at each gallery size; the 95th
    percentile of those is the upper bound. It covers the tails' sampling error, not a dependence
    between modalities that real people may have (docs/identification.md).
    """
    from scipy.special import gammainccinv

    from matching.identification import FPIR, ImpostorTail, flag_probability, fpir_at, stranger_probability_under

    tails = {
        "finger": ImpostorTail.fit(scores["finger_flow"]),
        "finger_minutiae_only": ImpostorTail.fit(scores["finger_bare"]),
        # a face's score is its negated distance, so that higher means more alike everywhere
        "face": ImpostorTail.fit(-scores["face_distance"]),
    }
    rng = np.random.default_rng(seed)
    stated = [tails["face"], tails["finger"], tails["finger"]]
    thresholds = {n: float(gammainccinv(3, flag_probability(n, FPIR))) for n in GALLERIES}
    draws: dict[int, list[float]] = {n: [] for n in GALLERIES}
    for _ in tqdm(range(bootstrap), desc="tail bootstrap", file=sys.stderr):
        face = ImpostorTail.fit(-rng.choice(scores["face_distance"], len(scores["face_distance"])))
        finger = ImpostorTail.fit(rng.choice(scores["finger_flow"], len(scores["finger_flow"])))
        for n, evidence in thresholds.items():
            q = stranger_probability_under(evidence, stated, [face, finger, finger])
            draws[n].append(fpir_at(q, n))
    within = scores["finger_within_set"]
    flow = scores["finger_flow"]
    out = {name: tail.as_json() for name, tail in tails.items()}
    out["confidence"] = {
        "fpir_stated": FPIR, "bootstrap": bootstrap, "modalities": "face + two fingers",
        "fpir_median": {str(n): float(np.median(v)) for n, v in draws.items()},
        "fpir_95_upper": {str(n): float(np.quantile(v, 0.95)) for n, v in draws.items()}}
    out["pairs"] = {"finger_within_set": int(within.sum()), "finger_across_sets": int((~within).sum()),
                    "finger_within_set_p999": float(np.quantile(flow[within], 0.999)),
                    "finger_across_sets_p999": float(np.quantile(flow[~within], 0.999)),
                    "face": int(len(scores["face_distance"]))}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--scores", type=Path, default=Path("build/impostor_scores.npz"),
                        help="where the raw scores are kept (computed when missing)")
    parser.add_argument("--out", type=Path, default=TAILS_FILE)
    args = parser.parse_args(argv)
    if not (args.data / "fingerprints").is_dir():
        raise SystemExit(f"{args.data}/fingerprints is missing: the tails need ../shared/data")
    if args.scores.is_file():
        scores = dict(np.load(args.scores))
    else:
        scores = finger_impostor_scores(args.data) | {"face_distance": face_impostor_distances(args.data)}
        args.scores.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(args.scores, **scores)
    args.out.write_text(json.dumps(fit(scores), indent=1) + "\n")
    within = scores["finger_within_set"]
    print(json.dumps({"finger_pairs": int(len(within)), "within_set": int(within.sum()),
                      "across_sets": int((~within).sum()), "face_pairs": int(len(scores["face_distance"])),
                      "out": str(args.out)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
