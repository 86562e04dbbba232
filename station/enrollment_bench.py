"""``biostation bench enrollment``: how long one whole enrollment takes, face and ten fingers.

A scripted officer enrolls simulated applicants against the ZFM emulator paced at the line rate
on its own pseudo-terminal, through the real driver (which switches the sensor from its factory
57,600 baud to the rate asked for, and is checked to have done so) and the enrollment flow, with
a ``file:`` camera playing a real portrait. Each applicant's ten fingers are a real set from
``--data`` (ISO position n is the n-th finger of the set, as ``zfm-sim:`` plays it), the sets
taken in turn, so ten applicants come from at least nine sets; an applicant who comes round to a
set again starts two impressions further on.

Two figures per applicant:
- device time: the sensor busy (the serial line at its rate, the module's own working time per
  instruction: ``drivers.zfm.emulator.WORK_SECONDS``; not its looks that found no finger, which
  wait for the person) plus the camera streaming until the photo is taken. The pacing fixes it,
  so it is the same on a fast or a busy machine, within the host's share of the emulator's
  feature extraction (it runs our extractor, and the module's 0.2 s is a floor, not a cap).
- wall-clock: from opening the application to the finished record, with the officer at
  ``key_s`` a key press and the applicant at ``place_s`` a finger placement, retries included,
  and the station's own computing (NFIQ 2, extraction, face encoding) on this machine's cores.

Applicants run ``parallel`` at a time in worker processes, each on its own pty, so pacing stays
per line; the waiting costs no CPU, but the station's computing of parallel applicants shares the
cores, which raises wall-clock a little over a lone run. ``mode="upload"`` runs the earlier
sequence (both impressions uploaded and compared here) for comparison.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from domain.catalog import render
from domain.errors import BiostationError

from .officers import Officer

log = logging.getLogger("biostation.bench")

MIN_SETS = 3
FACTORY_BAUD = 57600
CAMERA_FPS = 15.0  # the live preview's rate (docs/performance.md)
SENSOR_TIMEOUT_S = 15.0
# sets of real fingers (the README's table: not the synthetic SFinGe sets, not the one-capture set)
NOT_REAL = ("FVC2000_DB4_B", "FVC2002_DB4_B", "LIBFPRINT_SENSOR_CAPTURES")
OFFICER_KEYS = ("open_application", "consent", "start_camera", "keep_face", "review", "finish")


class BenchDataMissing(BiostationError):
    """The real samples the benchmark needs are not there; it never falls back to generated ones."""


@dataclass(frozen=True)
class ApplicantPlan:
    index: int
    finger_set: str  # folder
    first: int  # the first impression each finger presents
    camera_folder: str
    baud: int
    mode: str  # "confirm" (the second impression confirmed on the sensor) or "upload" (both uploaded)
    key_s: float
    place_s: float


def finger_sets(data: Path) -> list[Path]:
    """The real sets of at least ten fingers with two impressions each, in name order."""
    from drivers.zfm.fingers import load_finger_set

    root = data / "fingerprints" if (data / "fingerprints").is_dir() else data
    sets = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if folder.name in NOT_REAL:
            continue
        with contextlib.suppress(BiostationError):
            fingers = load_finger_set(folder)
            if sum(len(v) >= 2 for v in fingers.fingers.values()) >= 10:
                sets.append(folder)
    if len(sets) < MIN_SETS:
        raise BenchDataMissing("sequence.bench_no_data", folder=str(root), minimum=MIN_SETS)
    return sets


def passing_portraits(data: Path, out: Path, wanted: int = 4) -> list[Path]:
    """Camera folders of real portraits (``faces/``), posed as at the counter, that pass every ICAO
    check: the face step then costs what a cooperative applicant costs, not the face time limit."""
    import cv2

    from enrollment.face_capture import FaceCapture, FaceState
    from enrollment.synthetic import SENSOR
    from matching.face.detection import as_rgb
    from matching.face.sample import studio

    root = data / "faces" if (data / "faces").is_dir() else data.parent / "faces"
    candidates = sorted(root.glob("FACE_RECOGNITION_EXAMPLES/*/*.jpg")) + sorted(root.glob("DEEPFACE_TESTS/*/*.jpg"))
    folders: list[Path] = []
    for path in candidates:
        if "_multi_face" in path.parts:
            continue
        image = cv2.imread(str(path))
        if image is None:
            continue
        with contextlib.suppress(ValueError):  # studio() finds no face
            posed = studio(as_rgb(image))
            if FaceCapture(SENSOR).observe(posed, 0.0).state is FaceState.CAPTURED:
                folder = out / f"camera-{len(folders)}"
                folder.mkdir(parents=True)
                cv2.imwrite(str(folder / "frame.png"), cv2.cvtColor(posed, cv2.COLOR_RGB2BGR))
                folders.append(folder)
                if len(folders) == wanted:
                    break
    if not folders:
        raise BenchDataMissing("sequence.bench_no_faces", folder=str(root))
    return folders


OFFICER = Officer("bench-officer", "officer")
SUPERVISOR = Officer("bench-supervisor", "supervisor")


class _Desk:
    """The application the officer calls: one fixed adult applicant (no network in the timing)."""

    def lookup(self, number: str) -> dict:
        return {"number": number, "given_name": "Bench", "surname": "Applicant", "birth_date": "1990-04-01",
                "service": "passport"}


def _warm_up(camera) -> None:
    """What a station does once when it starts: the face models and the matcher's compiled kernel
    loaded, so that an applicant's times hold only the applicant's work."""
    from enrollment.face_capture import FaceCapture
    from enrollment.synthetic import SENSOR
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.matcher import compare
    from matching.fingerprint.synth import make_impression, make_master

    warm = FaceCapture(SENSOR)
    warm.observe_frame(camera.read(timeout=5.0).image, 0.0)
    warm.result()
    rng = np.random.default_rng(0)
    master = make_master(rng)
    compare(extract(make_impression(master, rng)[0]), extract(make_impression(master, rng)[0]))


def enroll_one(plan: ApplicantPlan) -> dict:
    """One scripted enrollment, timed (runs in a worker process)."""
    from threadpoolctl import threadpool_limits

    from domain.fingers import FingerPosition
    from drivers import open_camera
    from drivers.zfm.applicant import SimulatedApplicant
    from drivers.zfm.driver import ZfmScanner
    from drivers.zfm.emulator import ZfmEmulator
    from drivers.zfm.fingers import load_finger_set
    from drivers.zfm.pty_link import PtyLink
    from enrollment.finger_capture import FingerOutcome, capture_placement
    from enrollment.flow import EnrollmentFlow, Step
    from enrollment.policy import Policy

    threadpool_limits(1)
    policy = Policy(fingers=tuple(FingerPosition))
    emulator = ZfmEmulator(load_finger_set(Path(plan.finger_set)))
    emulator.store.settings.baud_multiplier = FACTORY_BAUD // 9600
    applicant = SimulatedApplicant(emulator, first=plan.first)

    def presenter(position: FingerPosition | None, down: bool) -> None:
        if down and not emulator.finger_down:
            time.sleep(plan.place_s)  # the applicant lays the finger on the glass
        applicant(position, down)

    def key() -> None:
        time.sleep(plan.key_s)

    audit: list[tuple] = []
    with PtyLink(emulator, pace=True) as link, ZfmScanner(
            link.port, baud=FACTORY_BAUD, emulated=True, presenter=presenter,
            prefer_baud=plan.baud if plan.baud != FACTORY_BAUD else None,
            response_timeout=3.0, byte_timeout=1.0) as scanner, contextlib.closing(
            open_camera(f"file:{plan.camera_folder}?fps={CAMERA_FPS:g}")) as camera:
        if scanner.baud != plan.baud or emulator.baud != plan.baud or link.client_baud() != plan.baud:
            raise RuntimeError(f"the sensor runs at {emulator.baud} baud, not {plan.baud}")
        _warm_up(camera)
        link.take_busy()  # opening the sensor and loading the models are once a day, not once an applicant
        flow = EnrollmentFlow(policy, "bench-station", _Desk(), lambda *a, **k: audit.append(a), date.today())
        flow.login(OFFICER)
        started = time.monotonic()
        key()
        flow.open_application(f"P2612060{plan.index:03d}")
        key()
        flow.record_consent(True)
        key()
        capture = flow.face_capture(camera.info)
        camera_started = time.monotonic()
        frames = 0
        while not capture.finished:
            frame = camera.read(timeout=3.0)
            frames += 1
            capture.observe_frame(frame.image, time.monotonic() - camera_started)
        camera_s = time.monotonic() - camera_started
        key()
        flow.face_done(capture.result())
        sequence = flow.fingers
        fails = unsure = exhausted = 0
        while not sequence.done:
            if plan.mode == "upload":
                image = scanner.capture(sequence.current, SENSOR_TIMEOUT_S)
                scanner.wait_for_removal(5.0)
                step = sequence.submit(image)
            else:
                confirming = sequence.placement().confirm
                step = capture_placement(sequence, scanner, SENSOR_TIMEOUT_S, 5.0)
                unsure += confirming and step.message_id != "sequence.confirmed"
            if step.outcome in (FingerOutcome.POOR_QUALITY, FingerOutcome.INCONSISTENT,
                                FingerOutcome.SAME_AS_OTHER):
                fails += 1
            elif step.outcome is FingerOutcome.EXHAUSTED:
                exhausted += 1
                key()  # the officer keeps the best print, with an exception
                sequence.keep_best("bench")
        flow.fingers_done()
        if flow.step is Step.APPROVAL:
            key()  # the supervisor's approval
            flow.approve(SUPERVISOR)
        key()
        flow.finish()
        wall_s = time.monotonic() - started
        sensor_s = link.take_busy()
        by_instruction = dict(link.busy_by_instruction)
    return {
        "index": plan.index, "set": Path(plan.finger_set).name, "first_impression": plan.first,
        "device_s": round(sensor_s + camera_s, 2), "sensor_s": round(sensor_s, 2), "camera_s": round(camera_s, 2),
        "camera_frames": frames, "wall_s": round(wall_s, 2),
        "uploads_s": round(by_instruction.get("0x0a", 0.0), 2),
        "fingers": len(sequence.results), "retries": fails + exhausted, "exhausted": exhausted,
        "unsure_confirmations": unsure,
    }


def _summary(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 2), "p95": round(float(np.percentile(values, 95)), 2),
            "max": round(max(values), 2)}


def run_enrollment_bench(data: Path, applicants: int = 10, baud: int = 115200, parallel: int = 4,
                         mode: str = "confirm", key_s: float = 1.0, place_s: float = 2.0,
                         lang: str = "en") -> dict:
    """Every applicant's figures, and their median and 95th percentile."""
    sets = finger_sets(data)
    with tempfile.TemporaryDirectory(prefix="bench-enrollment-") as tmp:
        cameras = passing_portraits(data, Path(tmp))
        plans = [ApplicantPlan(i, str(sets[i % len(sets)]), 1 + 2 * (i // len(sets)),
                               str(cameras[i % len(cameras)]), baud, mode, key_s, place_s)
                 for i in range(applicants)]
        print(render("sequence.bench_running", lang, applicants=applicants, baud=baud, parallel=parallel),
              file=sys.stderr, flush=True)
        results = []
        # spawned, not forked: the parent has OpenCV's and dlib's threads from choosing the portraits
        with ProcessPoolExecutor(max_workers=max(1, min(parallel, applicants)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            for result in pool.map(enroll_one, plans):
                results.append(result)
                print(render("sequence.bench_applicant", lang, index=result["index"] + 1, applicants=applicants,
                             set=result["set"], device_s=result["device_s"], wall_s=result["wall_s"],
                             retries=result["retries"]), file=sys.stderr, flush=True)
    return {
        "baud": baud, "mode": mode, "applicants": applicants, "parallel": parallel,
        "sets": sorted({r["set"] for r in results}),
        "officer": {"key_s": key_s, "placement_s": place_s},
        "device_s": _summary([r["device_s"] for r in results]),
        "wall_s": _summary([r["wall_s"] for r in results]),
        "sensor_s": _summary([r["sensor_s"] for r in results]),
        "uploads_s": _summary([r["uploads_s"] for r in results]),
        "retries": sum(r["retries"] for r in results),
        "unsure_confirmations": sum(r["unsure_confirmations"] for r in results),
        "targets": {"device_s": 90.0, "wall_s": 180.0},
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "processor": platform.processor() or platform.machine(),
                    "load_average": [round(v, 2) for v in os.getloadavg()]},
        "per_applicant": results,
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m station.enrollment_bench ...``: the same command as ``biostation bench enrollment``."""
    import argparse

    from .bench import add_enrollment_parser

    parser = argparse.ArgumentParser(prog="python -m station.enrollment_bench")
    add_enrollment_parser(parser.add_subparsers(dest="bench_what", required=True))
    args = parser.parse_args(["enrollment", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    try:
        return args.func(args)
    except BenchDataMissing as exc:
        print(render(exc.message_id, "en", **exc.params), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
