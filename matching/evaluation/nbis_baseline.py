"""NIST's NBIS (mindtct + bozorth3, through ``nbis-py``) on the FVC protocol's own pairs.

The fingerprint issue's targets are "half of NBIS's EER": a figure only means that when NBIS
is measured on the same pairs of the same images on the same machine, so ``fvc.evaluate_folder``
calls ``score_pairs`` with its own jobs and pairs and computes both sides' figures with the same
function (``fvc.pair_figures``). NBIS is given exactly the image our extractor gets
(``fvc.evaluation_image``: the file, or its ZFM view), resampled to 500 ppi as ours is
(``as_gray_500dpi``), because mindtct's parameters and bozorth3's distances are tuned to 500 ppi.

Extraction runs in worker processes that return each template as its ISO 19794-2 bytes
(``nbis`` objects hold native pointers: they do not cross processes); the comparison workers
load them back, which gives bozorth3 the same minutiae (mindtct's 5-bit directions and 0–63
reliabilities survive the record exactly; measured on FVC2002_DB1_B and FVC2000_DB3_B: no score
moved). A print mindtct cannot process, or in which it finds no minutia, is a failed
extraction: as in FVC, every pair with it scores the lowest score (``FAILED_SCORE``), and the
failures are counted.

``python -m matching.evaluation.nbis_baseline DIR [DIR ...]`` is the cross-vendor measurement (issue
28, "Template interoperability", NIST MINEX's idea): each side's templates under each side's matcher
on the same pairs, every template crossing as a record. NBIS's minutiae reach our matcher as a
*standard* record our writer makes from them (``nbis_standard_record``), as any vendor's record would;
ours reach bozorth3 in the one layout nbis-py's loader reads (``nbis_layout_record``): it has no
constructor from a list, and it reads a standard record as holding no minutia (0 of 53 on a
generated print, where its own layout of the same print gave back all 53).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from matching.fingerprint.image import FingerprintImageError, as_gray_500dpi
from matching.fingerprint.iso19794_2 import (
    FORMAT_ID,
    MAX_MINUTIAE,
    MINUTIA,
    NBIS_HEADER,
    VERSION,
    FingerprintRecordError,
    decode_record,
    direction_of,
    encode_record,
    iso_angle,
    quantized,
)
from matching.fingerprint.template import Template
from matching.workers import FRESH_PROCESSES

from .fvc import evaluation_image, finger_id, folder_dpi, list_images, pair_figures

FAILED_SCORE = 0.0  # bozorth3's scores are whole numbers from 0 up: 0 is the lowest it gives
CHUNK = 400  # pairs a comparison task takes: bozorth3 takes ~1 ms a pair, so a task is ~0.4 s


@dataclass(frozen=True)
class NbisScores:
    """bozorth3's score of every pair, in the order asked, and what the two steps took."""
    scores: np.ndarray
    extract_ms: list[float]  # per successful extraction (mindtct, the PNG's decoding included)
    compare_us: list[float]  # per comparison of two templates (pairs with a failed one are not timed)
    failed: int  # prints without a template


def new_extractor() -> Any:
    """mindtct with every minutia kept, at 500 ppi, without the binding's extras (SIVV, NFIQ 2,
    the centre): the NBIS that the issue's "twice as accurate as NBIS" means."""
    import nbis

    return nbis.new_nbis_extractor(nbis.NbisExtractorSettings(
        min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=False, ppi=None))


_EXTRACTOR: Any = None


def _extractor() -> Any:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        _EXTRACTOR = new_extractor()
    return _EXTRACTOR


def nbis_image(path: str | Path, dpi: int, sensor: str | None) -> np.ndarray:
    """What mindtct reads for ``path``: our extractor's image, at 500 ppi."""
    gray, resolution = evaluation_image(path, dpi, sensor)
    return as_gray_500dpi(gray, resolution)


def nbis_input(path: str | Path, dpi: int, sensor: str | None) -> bytes:
    """``nbis_image`` as the PNG that mindtct's binding takes."""
    ok, png = cv2.imencode(".png", nbis_image(path, dpi, sensor))
    if not ok:
        raise ValueError(f"cannot encode {path} for NBIS")
    return png.tobytes()


def _mindtct(job: tuple[str, int, str | None]) -> tuple[Any, tuple[int, int], float]:
    """mindtct's minutiae of one print (None: no template), the (width, height) it saw, the ms it took."""
    import nbis

    path, dpi, sensor = job
    try:
        image = nbis_image(path, dpi, sensor)
    except FingerprintImageError:  # an image ours refuses too; NBIS gets no other chance
        return None, (0, 0), float("nan")
    ok, png = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"cannot encode {path} for NBIS")
    started = time.perf_counter()
    try:
        minutiae = _extractor().extract_minutiae(png.tobytes())
    except (nbis.NbisError, nbis.InternalError):
        return None, (0, 0), float("nan")
    ms = (time.perf_counter() - started) * 1000
    return (minutiae if minutiae.get() else None), (image.shape[1], image.shape[0]), ms


def extract_iso(job: tuple[str, int, str | None]) -> tuple[bytes | None, float]:
    """mindtct's template of one print as NBIS's ISO 19794-2 bytes (None: no template), and the ms
    mindtct took. A job is ``fvc.evaluate_folder``'s: (path, dpi, sensor)."""
    minutiae, _, ms = _mindtct(job)
    return (None if minutiae is None else minutiae.to_iso_19794_2_2005()), ms


_TEMPLATES: list[Any] = []


def _load_templates(records: list[bytes | None]) -> None:
    global _TEMPLATES
    extractor = _extractor()
    _TEMPLATES = [None if r is None else extractor.load_iso_19794_2_2005(r) for r in records]


def _compare_chunk(pairs: list[tuple[int, int]]) -> tuple[list[float], list[float]]:
    scores, micros = [], []
    for probe, gallery in pairs:
        a, b = _TEMPLATES[probe], _TEMPLATES[gallery]
        if a is None or b is None:
            scores.append(FAILED_SCORE)
            continue
        started = time.perf_counter()
        scores.append(float(a.compare(b)))
        micros.append((time.perf_counter() - started) * 1e6)
    return scores, micros


def extract_all(jobs: list[tuple[str, int, str | None]], workers: int,
                progress=None) -> tuple[list[bytes | None], list[float]]:
    """Every print's NBIS record (None where extraction failed) and the ms of each that succeeded."""
    records: list[bytes | None] = []
    ms: list[float] = []
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES) as pool:
        for record, took in pool.map(extract_iso, jobs, chunksize=4):
            records.append(record)
            if record is not None:
                ms.append(took)
            if progress:
                progress(1)
    return records, ms


def score_pairs(jobs: list[tuple[str, int, str | None]], pairs: list[tuple[int, int]],
                workers: int | None = None, progress=None) -> NbisScores:
    """bozorth3's scores of ``pairs`` (probe index, gallery index into ``jobs``), mindtct's templates
    made once per print. ``progress`` is called with the units done (prints, then pairs)."""
    workers = workers or min(2, os.cpu_count() or 1)
    records, extract_ms = extract_all(jobs, workers, progress)
    scores, micros = compare_records(records, pairs, workers, progress)
    return NbisScores(scores, extract_ms, micros, sum(r is None for r in records))


def compare_records(records: list[bytes | None], pairs: list[tuple[int, int]], workers: int,
                    progress=None) -> tuple[np.ndarray, list[float]]:
    """bozorth3's score of each pair of NBIS records (``FAILED_SCORE`` where one is None) and the µs
    of each comparison made."""
    chunks = [pairs[k : k + CHUNK] for k in range(0, len(pairs), CHUNK)]
    scores: list[float] = []
    micros: list[float] = []
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES, initializer=_load_templates,
                             initargs=(records,)) as pool:
        for chunk_scores, chunk_micros in pool.map(_compare_chunk, chunks):
            scores += chunk_scores
            micros += chunk_micros
            if progress:
                progress(len(chunk_scores))
    return np.array(scores, float), micros


# -- cross-vendor: each side's templates under each side's matcher ------------------------------
def nbis_standard_record(listed: list[Any], width: int, height: int) -> bytes:
    """NBIS's minutiae (``Minutiae.get()``: x, y, the standard's angle in degrees, kind, reliability
    0–1) as an ISO/IEC 19794-2:2005 record written by our writer: what another vendor's conforming
    record of the same minutiae would be, rather than NBIS's own export (``_nbis_layout``)."""
    import nbis

    rows = [(m.x(), m.y(), direction_of(m.angle() / 360 * 256), 1 if m.kind() == nbis.MinutiaKind.RIDGE_ENDING else 2,
             round(100 * m.reliability())) for m in listed]
    return encode_record(Template(width=width, height=height, minutiae=np.array(rows, float).reshape(-1, 5)))


def nbis_layout_record(template: Template) -> bytes:
    """Our template in the one layout nbis-py's loader takes (``iso19794_2._nbis_layout``), for
    bozorth3: the standard's angles (``iso_angle``, which are NBIS's own) and NBIS's 0–63 qualities.
    Not a standard record and never stored: the loader reads a standard one as holding no minutia."""
    m = template.minutiae
    if len(m) > MAX_MINUTIAE:
        m = m[np.argsort(-m[:, 4], kind="stable")[:MAX_MINUTIAE]]
    bits = {0: 0b00, 1: 0b01, 2: 0b10}
    body = b"".join(MINUTIA.pack((bits.get(int(kind), 0) << 14) | int(round(x)), int(round(y)), iso_angle(d),
                                 min(63, int(round(q * 63 / 100)))) for x, y, d, kind, q in m)
    header = NBIS_HEADER.pack(FORMAT_ID, VERSION, NBIS_HEADER.size + len(body), 0, template.width, template.height,
                              0, 0, max(0, min(100, int(template.quality))), b"\0\0\0\0", len(m))
    return header + body


def extract_cross(job: tuple[str, int, str | None]) -> tuple[bytes | None, bytes | None, float]:
    """mindtct's template of one print twice: NBIS's own export (for bozorth3, and our lenient
    reader) and the standard record our writer makes of the same minutiae (None: no template)."""
    minutiae, (width, height), ms = _mindtct(job)
    if minutiae is None:
        return None, None, ms
    return minutiae.to_iso_19794_2_2005(), nbis_standard_record(minutiae.get(), width, height), ms


def cross_vendor(folder: Path, dpi: int | None = None, workers: int | None = None) -> dict:
    """On the FVC protocol's pairs of ``folder`` (every pair of prints, as ``fvc.evaluate_folder``),
    the figures of each template source under each matcher, every template as a record:

    - ``ours_on_ours``: our templates as our writer stores them, read back, our matcher (with the
      ridge flow they carry; ``ours_on_ours_minutiae_only`` without it, as a template from elsewhere
      is compared);
    - ``bozorth3_on_ours``: the same templates in the layout nbis-py loads (``nbis_layout_record``);
    - ``ours_on_nbis``: mindtct's minutiae as a standard record (``nbis_standard_record``) read by
      our reader, our matcher (minutiae alone: NBIS gives no ridge flow);
    - ``bozorth3_on_nbis``: NBIS end to end;
    - ``ours_vs_nbis`` and ``bozorth3_ours_vs_nbis``: our template as the probe against NBIS's as
      the gallery, the case of a station checking a finger against another vendor's record.

    A record our reader refuses counts as a failed template (lowest score), with the reason counted.
    ``lenient_differs`` counts prints whose NBIS export, read by the lenient path, gives other
    minutiae (position, direction, kind) than the standard record of the same minutiae.
    """
    from threadpoolctl import threadpool_limits

    from matching.fingerprint.cylinder import make_cylinders
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.matcher import compare_cylinders

    threadpool_limits(1)  # one BLAS thread, as in the FVC workers
    images = list_images(folder)
    resolution = folder_dpi(folder, dpi)
    jobs = [(str(p), resolution, None) for p in images]
    ids = [finger_id(p) for p in images]
    pairs = [(j, i) for i in range(len(images)) for j in range(i + 1, len(images))]
    workers = workers or min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(workers, mp_context=FRESH_PROCESSES) as pool:
        extracted = list(pool.map(extract_cross, jobs, chunksize=4))
    nbis_records = [r for r, _, _ in extracted]
    refused: dict[str, int] = {}
    theirs: list[Any] = []
    lenient_differs = 0
    for own, standard, _ in extracted:
        template = None
        if standard is not None:
            try:
                template = decode_record(standard)[0]
                lenient = decode_record(own)[0]
                lenient_differs += not np.array_equal(lenient.minutiae[:, :4], template.minutiae[:, :4])
            except FingerprintRecordError as exc:
                refused[exc.message_id] = refused.get(exc.message_id, 0) + 1
                template = None
        theirs.append(template)
    ours = [quantized(extract(*evaluation_image(path, d, s))) for path, d, s in jobs]

    def ours_scored(probe_side: list, gallery_side: list) -> tuple[list[float], list[float]]:
        probe_cyl = [None if t is None else make_cylinders(t) for t in probe_side]
        gallery_cyl = [None if t is None else make_cylinders(t) for t in gallery_side]
        scores, micros = [], []
        for a, b in pairs:
            if probe_cyl[a] is None or gallery_cyl[b] is None:
                scores.append(FAILED_SCORE)
                continue
            started = time.perf_counter()
            scores.append(compare_cylinders(probe_cyl[a], gallery_cyl[b]))
            micros.append((time.perf_counter() - started) * 1e6)
        return scores, micros

    ours_layout = [nbis_layout_record(t) for t in ours]
    minutiae_only = [replace(t, flow=None) for t in ours]
    n = len(images)
    runs: dict[str, tuple[Any, list[float]]] = {
        "ours_on_ours": ours_scored(ours, ours),
        "ours_on_ours_minutiae_only": ours_scored(minutiae_only, minutiae_only),
        "ours_on_nbis": ours_scored(theirs, theirs),
        "ours_vs_nbis": ours_scored(ours, theirs),
        "bozorth3_on_ours": compare_records(ours_layout, pairs, workers),
        "bozorth3_on_nbis": compare_records(nbis_records, pairs, workers),
        "bozorth3_ours_vs_nbis": compare_records(ours_layout + nbis_records, [(a, n + b) for a, b in pairs],
                                                 workers),
    }
    result: dict[str, Any] = {"images": n, "dpi": resolution,
                              "nbis_failed_extractions": sum(r is None for r in nbis_records),
                              "refused_by_our_reader": refused, "lenient_differs": lenient_differs}
    for name, (scores, micros) in runs.items():
        result[name] = pair_figures(np.asarray(scores), pairs, ids, [], micros)[0]
        del result[name]["extract_ms_median"]
    return result


def table(report: dict) -> str:
    """The EER of every cell, one markdown table per set: rows the templates, columns the matcher."""
    lines = []
    for name, sets in report.items():
        lines += [f"{name}", "", "| templates | our matcher | bozorth3 |", "| --- | --- | --- |"]
        for source, label in (("ours", "ours"), ("nbis", "NBIS (mindtct)"), ("vs", "ours vs NBIS")):
            ours_key, theirs_key = (("ours_vs_nbis", "bozorth3_ours_vs_nbis") if source == "vs"
                                    else (f"ours_on_{source}", f"bozorth3_on_{source}"))
            lines.append(f"| {label} | {100 * sets[ours_key]['eer']:.2f}% | {100 * sets[theirs_key]['eer']:.2f}% |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Our templates and NBIS's, each under our matcher and bozorth3 "
                                                 "(the FVC protocol's pairs); JSON out, the EER table on stderr")
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--dpi", type=int)
    args = parser.parse_args(argv)
    report = {folder.name: cross_vendor(folder, args.dpi) for folder in args.dirs}
    print(json.dumps(report, indent=1))
    print(table(report), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
