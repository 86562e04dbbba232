"""``biostation bench``: speed figures on this machine, on generated data (no ../shared needed).

Each figure is a median over repeats; the JSON goes to stdout (and ``--json OUT``),
progress to stderr. docs/performance.md, "Current figures", records what it printed and on what
machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .usage import at_least_one


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def fingerprint_figures(repeats: int = 20) -> dict:
    from matching.fingerprint.cylinder import make_cylinders
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.matcher import compare_cylinders
    from matching.fingerprint.synth import make_impression, make_master

    rng = np.random.default_rng(1)
    master_a, master_b = make_master(rng), make_master(rng)
    a, _ = make_impression(master_a, rng)
    a2, _ = make_impression(master_a, rng)
    b, _ = make_impression(master_b, rng)
    ta, ta2, tb = extract(a), extract(a2), extract(b)
    ca, ca2, cb = make_cylinders(ta), make_cylinders(ta2), make_cylinders(tb)
    return {
        "extract_ms_median": _median_ms(lambda: extract(a), repeats),
        "cylinders_ms_median": _median_ms(lambda: make_cylinders(ta), repeats),
        "compare_genuine_us_median": 1000 * _median_ms(lambda: compare_cylinders(ca, ca2), repeats * 5),
        "compare_impostor_us_median": 1000 * _median_ms(lambda: compare_cylinders(ca, cb), repeats * 5),
    } | nbis_figures(a, a2, b, repeats)


def nbis_figures(a: np.ndarray, a2: np.ndarray, b: np.ndarray, repeats: int) -> dict:
    """NIST's mindtct and bozorth3 on the same three impressions, timed the same way, so that our
    extraction and comparison times stand beside the reference's from the same machine and minute.

    bozorth3 is slow on these generated prints (0.2–0.5 s a pair where real prints take ~1 ms: their
    regular ridges give it very many compatible minutia pairs to link), so it is timed over fewer
    repeats; its time on real prints is ``make eval``'s ``nbis.compare_us_median``."""
    import cv2

    from matching.evaluation.nbis_baseline import new_extractor

    extractor = new_extractor()
    pngs = [cv2.imencode(".png", image)[1].tobytes() for image in (a, a2, b)]
    na, na2, nb = (extractor.extract_minutiae(png) for png in pngs)
    return {
        "nbis_extract_ms_median": _median_ms(lambda: extractor.extract_minutiae(pngs[0]), repeats),
        "bozorth3_genuine_us_median": 1000 * _median_ms(lambda: na.compare(na2), max(3, repeats // 4)),
        "bozorth3_impostor_us_median": 1000 * _median_ms(lambda: na.compare(nb), max(3, repeats // 4)),
    }


def search_figures(gallery_size: int = 10_000, distinct: int = 40) -> dict:
    """1:N fingerprint search: the first stage over the whole gallery, then the shortlist.

    The gallery holds ``distinct`` synthetic templates repeated to ``gallery_size``: the
    first stage's cost depends only on the number of cylinders, not on who they belong to.
    They are four impressions of each of ``distinct // 4`` masters, because growing a
    master's ridges is what takes the bench's time (about a second each), not the search.
    """
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.search import FingerprintGallery
    from matching.fingerprint.synth import make_impression, make_master

    rng = np.random.default_rng(5)
    templates = []
    for _ in range(distinct // 4):
        master = make_master(rng)
        templates += [extract(make_impression(master, rng)[0]) for _ in range(4)]
    gallery = FingerprintGallery()
    for t in templates:
        gallery.add(str(len(gallery)), t)
    while len(gallery) < gallery_size:
        gallery.add_prepared(f"copy-{len(gallery)}", gallery.cylinders(len(gallery) % len(templates)))
    probe = templates[0]
    gallery.search(probe)  # builds the index
    first_ms = _median_ms(lambda: gallery.first_stage(gallery.cylinders(0)), 5)
    search_ms = _median_ms(lambda: gallery.search(probe), 5)
    return {
        "gallery": len(gallery),
        "cylinders": int(gallery.index_bytes() // (64 * 4)),
        "first_stage_ms_median": first_ms,
        "first_stage_comparisons_per_s": len(gallery) / (first_ms / 1000),
        "search_ms_median": search_ms,
        "search_comparisons_per_s": len(gallery) / (search_ms / 1000),
    }


def upload_figures(bauds: tuple[int, ...] = (57600, 115200)) -> dict:
    """Seconds to capture and upload one image from the emulator paced at each line rate."""
    from drivers.zfm.driver import ZfmScanner
    from drivers.zfm.emulator import ZfmEmulator
    from drivers.zfm.fingers import load_finger_set
    from drivers.zfm.pty_link import PtyLink
    from matching.fingerprint.synth import write_synthetic_fingers

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic_fingers(Path(tmp), 1, 1, seed=2)
        fingers = load_finger_set(Path(tmp))
        for baud in bauds:
            emulator = ZfmEmulator(fingers)
            emulator.store.settings.baud_multiplier = baud // 9600
            with PtyLink(emulator, pace=True) as link, ZfmScanner(link.path, baud=baud,
                                                                  prefer_baud=None) as scanner:
                emulator.place(1, 1)
                started = time.perf_counter()
                scanner.capture(timeout=5)
                out[f"capture_upload_s_at_{baud}"] = round(time.perf_counter() - started, 2)
    return out


def face_figures(repeats: int = 15) -> dict:
    """Preview detection rate at 640×480 and the cost of one embedding.

    HOG detection and the ResNet descriptor cost the same whatever the pixels show, so
    a generated frame serves (the bench needs no photographs); accuracy is measured
    on real faces by ``make eval``.
    """
    import cv2

    from matching.face.detection import FaceBox, detect
    from matching.face.embedding import encode

    rng = np.random.default_rng(0)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (0, 0), 3)
    # preview: the frame halved, no upsampling: faces from about 160 px wide in the 640×480 frame
    preview_ms = _median_ms(lambda: detect(frame, upsample=0, max_width=320), repeats)
    native_ms = _median_ms(lambda: detect(frame, upsample=0), repeats)  # faces from 80 px
    full_ms = _median_ms(lambda: detect(frame, upsample=1), max(3, repeats // 5))
    box = FaceBox(250, 150, 390, 290, 0.0)
    encode(frame, box)  # load the models before timing
    encode_ms = _median_ms(lambda: encode(frame, box), max(3, repeats // 3))
    return {
        "preview_detect_ms_median": preview_ms,
        "preview_fps": 1000.0 / preview_ms,
        "detect_640x480_ms_median": native_ms,
        "full_resolution_detect_ms_median": full_ms,
        "encode_ms_median": encode_ms,
    }


def gui_stalls(timeout_s: float = 900.0) -> dict:
    """The windows' event-loop stalls, measured in a child process (Qt lives in ``gui`` alone)."""
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    try:
        done = subprocess.run([sys.executable, "-m", "gui.stall_bench"], capture_output=True, text=True, env=env,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"skipped": f"no answer within {timeout_s:.0f} s"}
    if done.returncode != 0:  # e.g. Qt's system libraries missing: the other figures still count
        return {"skipped": (done.stderr.strip().splitlines() or ["?"])[-1][:300]}
    return json.loads(done.stdout)


def run_bench(include_upload: bool = True, central_dbs: tuple[str, ...] = ("sqlite",)) -> dict:
    result = {
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "processor": platform.processor() or platform.machine()},
        "fingerprint": fingerprint_figures(),
        "face": face_figures(),
        "fingerprint_search": search_figures(),
    }
    if include_upload:
        result["sensor"] = upload_figures()
    result["gui_event_loop"] = gui_stalls()
    if central_dbs:
        from .intake_bench import intake_rate

        result["central_intake"] = [intake_rate(db) for db in central_dbs]
    return result


def add_enrollment_parser(bench_of) -> None:
    """``biostation bench enrollment``: the whole enrollment timed against the paced emulator
    (``station.enrollment_bench``); ``bench_of`` is ``biostation bench``'s subcommand table."""
    be = bench_of.add_parser("enrollment", help="face and ten fingers by a scripted officer, paced at the line rate")
    be.add_argument("--data", required=True, help="../shared/data (or its fingerprints/ folder)")
    be.add_argument("--applicants", type=at_least_one, default=10)
    be.add_argument("--baud", type=int, default=115200, choices=(9600, 19200, 38400, 57600, 115200))
    be.add_argument("--parallel", type=at_least_one, default=4, help="applicants at a time, each on its own pty")
    be.add_argument("--mode", choices=("confirm", "upload"), default="confirm",
                    help="confirm: the second impression on the sensor; upload: both impressions uploaded")
    be.add_argument("--key-s", type=float, default=1.0, help="the officer's seconds a key press")
    be.add_argument("--place-s", type=float, default=2.0, help="the applicant's seconds a finger placement")
    be.add_argument("--json", help="also write the JSON here")
    be.set_defaults(func=cmd_bench_enrollment)


def cmd_bench_enrollment(args, settings=None) -> int:
    """Runs the enrollment benchmark; its JSON alone on stdout, progress on stderr."""
    from .enrollment_bench import run_enrollment_bench

    result = run_enrollment_bench(Path(args.data), args.applicants, args.baud, args.parallel, args.mode,
                                  args.key_s, args.place_s, getattr(args, "lang", "en"))
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(text)
    return 0
