"""The FVC protocol on folders of ``<finger>_<impression>`` images.

Every genuine pair (same finger) and every impostor pair (different fingers, all
impressions) is compared once, the file later in sorted order as the probe.
Extraction and comparison run in worker processes (the matcher is CPU-bound).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from domain.errors import BiostationError
from matching.fingerprint.cylinder import Cylinders, make_cylinders
from matching.fingerprint.extractor import extract
from matching.fingerprint.matcher import compare_cylinders
from matching.fingerprint.template import Template
from matching.fingerprint.zfm_image import zfm_view
from matching.images import check_image, read_image
from matching.workers import FRESH_PROCESSES

from .metrics import eer_interval, summary

IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".pgm", ".wsq")
DPI_RANGE = (100, 2000)  # the resolutions matching.fingerprint.image.as_gray_500dpi takes


class EvaluationInputError(BiostationError, ValueError):
    """A benchmark folder's file that cannot be used as it is (its ``dpi.txt``, its resolution)."""


@dataclass(frozen=True)
class SetResult:
    name: str
    figures: dict
    genuine: np.ndarray
    impostor: np.ndarray


def list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def finger_id(path: Path) -> str:
    return path.stem.rsplit("_", 1)[0]


def folder_dpi(folder: Path, override: int | None) -> int:
    """``override``, else the first number in the folder's ``dpi.txt``, else 500; a resolution outside
    ``DPI_RANGE`` (0 included: it once meant "none given") or a ``dpi.txt`` without one is an error
    naming it, never a silent 500 or a Python error."""
    low, high = DPI_RANGE
    if override is not None:
        if not low <= override <= high:
            raise EvaluationInputError("fingerprint.bad_dpi", dpi=override)
        return int(override)
    dpi_file = folder / "dpi.txt"
    if not dpi_file.exists():
        return 500
    try:
        with open(dpi_file, "rb") as f:
            text = f.read(200).decode("utf-8", "replace").strip()  # a number, perhaps a unit: no more
        words = text.split()
        value = float(words[0]) if words else math.nan
    except OSError as exc:
        text, value = exc.strerror or type(exc).__name__, math.nan
    except ValueError:
        value = math.nan
    if not low <= value <= high:  # nan, inf and words fail here too
        raise EvaluationInputError("fingerprint.bad_dpi_file", path=str(dpi_file), text=text[:40], low=low, high=high)
    return int(value)


def evaluation_image(path: str | Path, dpi: int, sensor: str | None) -> tuple[np.ndarray, int]:
    """The gray image a matcher is given for ``path``, and its resolution: the file as it is, or
    with ``sensor == "zfm"`` what a ZFM would deliver of it. One function, so that the NBIS
    baseline (``nbis_baseline``) sees exactly the image our extractor sees."""
    gray = read_image(path, "fingerprint", cv2.IMREAD_GRAYSCALE)
    if gray is None:
        raise ValueError(f"cannot read {path}")
    if sensor == "zfm":
        # what the ZFM delivers (DESIGN.md's ZFM view, the emulator's pixels too): at the sensor's
        # 500 dpi, the 256×288 window centred on the print, 4 bits a pixel
        gray, dpi = zfm_view(gray, dpi), 500
    return gray, dpi


def _extract_one(job: tuple[str, int, str | None]) -> tuple[Template, float]:
    path, dpi, sensor = job
    gray, dpi = evaluation_image(path, dpi, sensor)
    started = time.perf_counter()
    template = extract(gray, dpi)
    return template, (time.perf_counter() - started) * 1000


_CYLINDERS: list[Cylinders] = []


def _share_cores(threads: int) -> None:
    """The cores divided among the workers, for OpenCV and BLAS alike: with one worker a
    core, two threads in each would fight over the cores and slow every extraction and
    comparison (docs/decisions.md, "a faster extractor with the same templates; parameters
    measured again")."""
    from threadpoolctl import threadpool_limits

    cv2.setNumThreads(threads)
    threadpool_limits(threads)


def _init_worker(threads: int, templates: list[Template]) -> None:
    global _CYLINDERS
    _share_cores(threads)
    _CYLINDERS = [make_cylinders(t) for t in templates]


def _compare_chunk(pairs: list[tuple[int, int]]) -> tuple[list[float], list[float]]:
    scores, micros = [], []
    for probe, gallery in pairs:
        started = time.perf_counter()
        scores.append(compare_cylinders(_CYLINDERS[probe], _CYLINDERS[gallery]))
        micros.append((time.perf_counter() - started) * 1e6)
    return scores, micros


BASELINES = ("nbis",)


def evaluate_folder(folder: Path, dpi: int | None = None, sensor: str | None = None,
                    workers: int | None = None,
                    progress: Callable[[int], None] | None = None,
                    baseline: str | None = None) -> SetResult:
    """The FVC protocol on ``folder``; with ``baseline="nbis"`` the same pairs of the same images
    are also scored by NIST's mindtct + bozorth3, under ``figures["nbis"]`` with the same keys, and
    ``figures["eer_ratio_nbis"]`` is our EER over NBIS's (the issue's target: at most 0.5)."""
    if baseline is not None and baseline not in BASELINES:
        raise ValueError(f"unknown baseline {baseline!r}; known: {', '.join(BASELINES)}")
    images = list_images(folder)
    if len(images) < 2:
        raise ValueError(f"{folder} holds fewer than two fingerprint images")
    resolution = folder_dpi(folder, dpi)
    for path in images:  # every header before any work: an image bomb is refused now, not hours in
        check_image(path, "fingerprint")
    workers = workers or min(2, os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // workers)
    jobs = [(str(p), resolution, sensor) for p in images]
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES, initializer=_share_cores,
                             initargs=(threads,)) as pool:
        extracted = []
        for result in pool.map(_extract_one, jobs, chunksize=4):
            extracted.append(result)
            if progress:
                progress(1)
    templates = [t for t, _ in extracted]
    ids = [finger_id(p) for p in images]
    pairs = [(j, i) for i in range(len(images)) for j in range(i + 1, len(images))]
    chunks = [pairs[k : k + 200] for k in range(0, len(pairs), 200)]
    scores: list[float] = []
    micros: list[float] = []
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES, initializer=_init_worker,
                             initargs=(threads, templates)) as pool:
        for chunk_scores, chunk_micros in pool.map(_compare_chunk, chunks):
            scores += chunk_scores
            micros += chunk_micros
            if progress:
                progress(len(chunk_scores))
    figures, genuine, impostor = pair_figures(np.array(scores), pairs, ids, [ms for _, ms in extracted], micros)
    figures["dpi"] = resolution
    figures["images"] = len(images)
    if baseline == "nbis":
        from .nbis_baseline import score_pairs

        nbis = score_pairs(jobs, pairs, workers, progress)
        figures["nbis"], _, _ = pair_figures(nbis.scores, pairs, ids, nbis.extract_ms, nbis.compare_us)
        figures["nbis"]["failed_extractions"] = nbis.failed
        figures["eer_ratio_nbis"] = eer_ratio(figures.get("eer"), figures["nbis"].get("eer"))
    return SetResult(folder.name, figures, genuine, impostor)


def pair_figures(scores: np.ndarray, pairs: list[tuple[int, int]], ids: list[str], extract_ms: list[float],
                 compare_us: list[float]) -> tuple[dict, np.ndarray, np.ndarray]:
    """The set's figures from one matcher's scores of ``pairs``: computed here once for every matcher
    (ours, the NBIS baseline), so that both sides' EERs and intervals are the same computation."""
    scores = np.asarray(scores, float)
    is_genuine = np.array([ids[a] == ids[b] for a, b in pairs], bool)
    genuine, impostor = scores[is_genuine], scores[~is_genuine]
    if len(genuine) and len(impostor):
        figures: dict = summary(genuine, impostor)
        finger = {f: k for k, f in enumerate(sorted(set(ids)))}
        pair_fingers = np.array([(finger[ids[a]], finger[ids[b]]) for a, b in pairs])
        figures["eer_interval90"] = list(eer_interval(
            genuine, impostor, pair_fingers[is_genuine, 0], pair_fingers[~is_genuine]))
    else:
        figures = {"genuine": int(len(genuine)), "impostor": int(len(impostor))}
    figures["extract_ms_median"] = float(np.median(extract_ms)) if len(extract_ms) else float("nan")
    figures["compare_us_median"] = float(np.median(compare_us)) if len(compare_us) else float("nan")
    return figures, genuine, impostor


def eer_ratio(ours: float | None, theirs: float | None) -> float | None:
    """Our EER over the baseline's; None when either has none or the baseline's is 0 (no ratio)."""
    if ours is None or theirs is None or theirs <= 0:
        return None
    return float(ours) / float(theirs)


def work_units(folder: Path, baseline: str | None = None) -> int:
    """Images plus pairs, twice with a baseline: what a progress bar for ``evaluate_folder`` counts."""
    n = len(list_images(folder))
    return (n + n * (n - 1) // 2) * (2 if baseline else 1)
