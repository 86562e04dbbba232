"""Finger image quality on the real sets: NFIQ 2 against our own score, and the gate's threshold.

    python -m matching.evaluation.quality_study --data /work/shared/data --out build/quality

Every image of every set in ``DATA/fingerprints`` goes through the ZFM view (resampled to 500 dpi,
the sensor's 256×288 window, 4 bits a pixel: what the station's sensor delivers, made as
``eval fingerprints --sensor zfm`` makes it) and gets

- its NFIQ 2 score and actionable feedback (``matching.fingerprint.nfiq2``),
- our own score (``matching.fingerprint.quality``),
- its template; every genuine pair of the set (same finger, FVC protocol) is then scored by our
  matcher, the file later in sorted order as the probe.

Per set and pooled, it reports the Spearman rank correlation of the two quality scores, and the
ISO/IEC 29794-1 error-versus-reject curves: the genuine pairs with the lowest pair quality (the
lower of the two images' qualities) are rejected, and the FNMR at the station's 1:1 threshold
(``threshold_for_fmr(VERIFY_FMR)``) among the pairs kept is plotted against the fraction rejected,
for NFIQ 2, our score and random rejection. The area under each curve over 0–``ERC_SPAN`` rejected
sums it up (lower is better: a quality score that rejects the pairs that would fail lowers it
fastest). Pairs tied at one quality value are rejected together, as a threshold on the score would.

Last, the gate's trade-off on the sets of real fingers: for each candidate NFIQ 2 threshold, the
share of captures rejected (one retry at the counter each), the share of fingers whose first
three impressions all fall below it (a finger that would end in a quality exception), and the
FNMR among the genuine pairs whose both images pass.

Per-image results are cached in ``OUT/images_<view>.json`` (remove it to measure again); the
report is ``OUT/quality_<view>.json`` and the plots go to ``--images`` (docs/images).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from matching.fingerprint.thresholds import VERIFY_FMR, threshold_for_fmr
from matching.workers import FRESH_PROCESSES

from .fvc import finger_id, folder_dpi, list_images

ERC_SPAN = 0.3  # area under the ERC over 0–30 % of pairs rejected
CANDIDATES = tuple(range(5, 55, 5))
SYNTHETIC_SETS = ("FVC2000_DB4_B", "FVC2002_DB4_B")  # SFinGe: not real fingers


def _view(path: str, dpi: int, view: str) -> np.ndarray:
    """The image scored: the file, or with ``view == "zfm"`` the ZFM view ``eval --sensor zfm``
    scores (``fvc.evaluation_image``, one function for the eval, NBIS, this study and the emulator)."""
    from .fvc import evaluation_image

    return evaluation_image(path, dpi, "zfm" if view == "zfm" else None)[0]


def _measure_one(job: tuple[str, int, str]) -> dict:
    from matching.fingerprint.extractor import extract_details
    from matching.fingerprint.image import FingerprintImageError
    from matching.fingerprint.nfiq2 import nfiq2
    from matching.fingerprint.quality import report_of

    path, dpi, view = job
    gray = _view(path, dpi, view)
    image_dpi = 500 if view == "zfm" else dpi
    started = time.perf_counter()
    q = nfiq2(gray, image_dpi)
    nfiq2_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    try:
        details = extract_details(gray, image_dpi)
        ours, template = report_of(details).score, details.template
    except FingerprintImageError:
        ours, template = 0, None
    ours_ms = (time.perf_counter() - started) * 1000
    return {"name": Path(path).name, "finger": finger_id(Path(path)), "nfiq2": q.score,
            "feedback": list(q.feedback), "reason": q.reason, "ours": ours,
            "mu": q.actionable.get("EmptyImageOrContrastTooLow"),
            "foreground": q.actionable.get("SufficientFingerprintForeground"),
            "minutiae": q.actionable.get("FingerprintImageWithMinutiae"),
            "nfiq2_ms": nfiq2_ms, "extract_ms": ours_ms, "template": template}


def _init(threads: int) -> None:
    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(threads)
    threadpool_limits(threads)


def _genuine_scores(records: list[dict]) -> list[list]:
    """Every same-finger pair ``[gallery, probe, score]``, the later file as the probe."""
    from matching.fingerprint.cylinder import make_cylinders
    from matching.fingerprint.matcher import compare_cylinders

    cylinders = [make_cylinders(r["template"]) if r["template"] is not None else None for r in records]
    out = []
    for i in range(len(records)):
        for j in range(i + 1, len(records)):
            if records[i]["finger"] != records[j]["finger"]:
                continue
            a, b = cylinders[j], cylinders[i]
            score = compare_cylinders(a, b) if a is not None and b is not None else 0.0
            out.append([i, j, float(score)])
    return out


def measure(data: Path, out: Path, view: str = "zfm", workers: int | None = None) -> dict:
    """Per set: the images' qualities and the genuine pairs' scores (cached in ``out``)."""
    cache = out / f"images_{view}.json"
    if cache.exists():
        return json.loads(cache.read_text("utf-8"))
    folders = sorted(p for p in (data / "fingerprints").iterdir() if p.is_dir())
    workers = workers or min(2, os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // workers)
    sets: dict[str, dict] = {}
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES, initializer=_init,
                             initargs=(threads,)) as pool:
        for folder in folders:
            images = list_images(folder)
            if not images:
                continue
            dpi = folder_dpi(folder, None)
            started = time.perf_counter()
            records = list(pool.map(_measure_one, [(str(p), dpi, view) for p in images], chunksize=2))
            genuine = _genuine_scores(records)
            for r in records:
                del r["template"]
            sets[folder.name] = {"dpi": dpi, "images": records, "genuine": genuine}
            print(f"{folder.name}: {len(records)} images, {len(genuine)} genuine pairs, "
                  f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    result = {"view": view, "sets": sets}
    out.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(result), "utf-8")
    return result


# ---------------------------------------------------------------- analysis


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def erc(pair_quality: np.ndarray, scores: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """(fraction rejected, FNMR of the rest): reject every pair below each quality value in turn."""
    fails = scores < threshold
    n = len(scores)
    fractions, fnmr = [0.0], [float(fails.mean()) if n else float("nan")]
    for q in np.unique(pair_quality):
        keep = pair_quality > q
        if keep.sum() == 0:
            break
        fractions.append(1 - keep.sum() / n)
        fnmr.append(float(fails[keep].mean()))
    return np.array(fractions), np.array(fnmr)


def random_erc(scores: np.ndarray, threshold: float, seed: int = 0, runs: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Random rejection, averaged over ``runs`` orders: the curve a useless quality score draws."""
    fails = (scores < threshold).astype(float)
    n = len(scores)
    rng = np.random.default_rng(seed)
    ks = np.arange(0, n)  # pairs rejected
    total = np.zeros(len(ks))
    for _ in range(runs):
        order = fails[rng.permutation(n)]
        kept_fails = order[::-1].cumsum()[::-1]  # fails among pairs k.. (the first k rejected)
        total += kept_fails / (n - ks)
    return ks / n, total / runs


def erc_area(fractions: np.ndarray, fnmr: np.ndarray, span: float = ERC_SPAN) -> float:
    """Area under an ERC over 0–``span`` rejected (linear between measured points)."""
    grid = np.linspace(0, span, 301)
    values = np.interp(grid, fractions, fnmr)
    return float(np.trapezoid(values, grid))


def _pairs(s: dict, key: str) -> tuple[np.ndarray, np.ndarray]:
    q = np.array([r[key] for r in s["images"]], float)
    g = np.array(s["genuine"], float).reshape(-1, 3)
    if len(g) == 0:
        return np.zeros(0), np.zeros(0)
    i, j = g[:, 0].astype(int), g[:, 1].astype(int)
    return np.minimum(q[i], q[j]), g[:, 2]


def _pooled(sets: dict, names: list[str], key: str) -> tuple[np.ndarray, np.ndarray]:
    parts = [_pairs(sets[n], key) for n in names]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def analyse(measured: dict, threshold: float | None = None) -> dict:
    threshold = threshold_for_fmr(VERIFY_FMR) if threshold is None else threshold
    sets = measured["sets"]
    mated = [n for n, s in sets.items() if s["genuine"]]
    real = [n for n in mated if n not in SYNTHETIC_SETS]
    report: dict = {"view": measured["view"], "threshold": threshold, "erc_span": ERC_SPAN, "sets": {}}

    def erc_figures(pq_n, pq_o, scores) -> dict:
        return {"genuine": int(len(scores)), "fnmr": float((scores < threshold).mean()),
                "erc_area": {"nfiq2": erc_area(*erc(pq_n, scores, threshold)),
                             "ours": erc_area(*erc(pq_o, scores, threshold)),
                             "random": erc_area(*random_erc(scores, threshold))}}

    for name, s in sets.items():
        n = np.array([r["nfiq2"] for r in s["images"]], float)
        o = np.array([r["ours"] for r in s["images"]], float)
        fig = {"images": len(n), "nfiq2_median": float(np.median(n)), "ours_median": float(np.median(o)),
               "nfiq2_below_40": float((n < 40).mean()), "not_scored": int(sum(r["reason"] is not None
                                                                                for r in s["images"])),
               "spearman": spearman(n, o),
               "nfiq2_ms_median": float(np.median([r["nfiq2_ms"] for r in s["images"]]))}
        if s["genuine"]:
            (pq_n, scores), (pq_o, _) = _pairs(s, "nfiq2"), _pairs(s, "ours")
            fig |= erc_figures(pq_n, pq_o, scores)
        report["sets"][name] = fig
    for label, names in (("pooled_real", real), ("pooled_all", mated)):
        pq_n, scores = _pooled(sets, names, "nfiq2")
        pq_o, _ = _pooled(sets, names, "ours")
        n = np.concatenate([[r["nfiq2"] for r in sets[k]["images"]] for k in names])
        o = np.concatenate([[r["ours"] for r in sets[k]["images"]] for k in names])
        report[label] = {"sets": names, "images": len(n), "spearman": spearman(n, o),
                         "nfiq2_below_40": float((n < 40).mean())} | erc_figures(pq_n, pq_o, scores)
    report["tradeoff"] = tradeoff(sets, real, threshold)
    report["tradeoff_ours"] = tradeoff(sets, real, threshold, key="ours", candidates=(20, 30, 40))
    report["feedback"] = feedback_counts(sets, real)
    return report


def tradeoff(sets: dict, names: list[str], threshold: float, key: str = "nfiq2",
             candidates: tuple[int, ...] = CANDIDATES) -> list[dict]:
    """Per candidate gate: captures rejected, fingers failing three times in a row, FNMR of the rest."""
    rows = []
    q_all = np.concatenate([[r[key] for r in sets[n]["images"]] for n in names])
    pq, scores = _pooled(sets, names, key)
    fingers: list[list[float]] = []  # each finger's impressions in numeric order
    for n in names:
        by_finger: dict[str, list[tuple[int, float]]] = {}
        for r in sets[n]["images"]:
            stem = Path(r["name"]).stem
            by_finger.setdefault(r["finger"], []).append((int(stem.rsplit("_", 1)[1]), r[key]))
        fingers += [[q for _, q in sorted(v)] for v in by_finger.values() if len(v) >= 3]
    for t in (0, *candidates):
        keep = pq >= t
        rows.append({"min_quality": t, "rejected": float((q_all < t).mean()),
                     "three_fails": float(np.mean([all(q < t for q in f[:3]) for f in fingers])),
                     "genuine_kept": int(keep.sum()),
                     "fnmr": float((scores[keep] < threshold).mean()) if keep.any() else float("nan")})
    return rows


def feedback_counts(sets: dict, names: list[str]) -> dict[str, float]:
    """The share of images given each feedback code, recomputed from the cached actionable values
    with the current thresholds (so a changed threshold needs no new measurement)."""
    from matching.fingerprint.nfiq2 import feedback_codes

    images = [r for n in names for r in sets[n]["images"]]
    codes: dict[str, float] = {}
    for r in images:
        found = r["feedback"] if r["reason"] is not None else feedback_codes(
            r["mu"], float("inf"), r["minutiae"], r["foreground"])
        for c in found:
            codes[c] = codes.get(c, 0) + 1
    return {c: v / len(images) for c, v in sorted(codes.items())}


# ---------------------------------------------------------------- plots


def plot_erc(measured: dict, report: dict, images: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    threshold = report["threshold"]
    sets = measured["sets"]
    view = measured["view"]
    styles = {"NFIQ 2": dict(color="tab:blue", lw=1.6), "our score": dict(color="tab:orange", lw=1.6),
              "random": dict(color="grey", lw=1.0, ls="--")}

    def draw(ax, pq_n, pq_o, scores, title, legend=True):
        areas = {}
        for label, (f, e) in (("NFIQ 2", erc(pq_n, scores, threshold)), ("our score", erc(pq_o, scores, threshold)),
                              ("random", random_erc(scores, threshold))):
            areas[label] = erc_area(f, e)
            ax.plot(f, e, drawstyle="steps-post" if label != "random" else "default",
                    label=f"{label} (area {areas[label]:.4f})", **styles[label])
        ax.set_xlim(0, 0.5)
        ax.axvline(ERC_SPAN, color="grey", lw=0.5, ls=":")
        ax.set_ylim(bottom=0)
        ax.set_title(title, fontsize=9)
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.legend(fontsize=6 if not legend else 7, loc="upper right")

    out = []
    names = [n for n in sets if sets[n]["genuine"]]
    cols = 4
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(12.8, 3.0 * rows), dpi=100, squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        (pq_n, scores), (pq_o, _) = _pairs(sets[name], "nfiq2"), _pairs(sets[name], "ours")
        draw(ax, pq_n, pq_o, scores, name, legend=False)
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.supxlabel("fraction of genuine pairs rejected (lowest pair quality first)")
    fig.supylabel(f"FNMR at the 1:1 threshold {threshold:.4f}")
    fig.suptitle(f"Error-versus-reject per set ({view} view)")
    fig.tight_layout()
    images.mkdir(parents=True, exist_ok=True)
    path = images / f"erc_nfiq2_sets_{view}.png"
    fig.savefig(path)
    plt.close(fig)
    out.append(path)

    real = report["pooled_real"]["sets"]
    pq_n, scores = _pooled(sets, real, "nfiq2")
    pq_o, _ = _pooled(sets, real, "ours")
    fig, ax = plt.subplots(figsize=(6.4, 5.2), dpi=110)
    draw(ax, pq_n, pq_o, scores, f"Error-versus-reject, {len(real)} sets of real fingers pooled ({view} view)")
    ax.set_xlabel("fraction of genuine pairs rejected (lowest pair quality first)")
    ax.set_ylabel(f"FNMR at the 1:1 threshold {threshold:.4f}")
    fig.tight_layout()
    path = images / f"erc_nfiq2_pooled_{view}.png"
    fig.savefig(path)
    plt.close(fig)
    out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matching.evaluation.quality_study",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the shared data folder (holds fingerprints/)")
    parser.add_argument("--out", type=Path, default=Path("build/quality"))
    parser.add_argument("--images", type=Path, default=Path("docs/images"), help="where the plots go")
    parser.add_argument("--view", choices=("zfm", "native"), default="zfm")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    measured = measure(args.data, args.out, args.view, args.workers)
    report = analyse(measured)
    report["plots"] = [str(p) for p in plot_erc(measured, report, args.images)]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"quality_{args.view}.json").write_text(json.dumps(report, indent=1), "utf-8")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
