"""The ``biostation`` command. JSON goes to stdout alone; logs and progress go to stderr."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path

from domain.catalog import render, render_error
from domain.errors import BiostationError

from .logs import setup_logging
from .settings import Settings, SettingsError, ensure_home, load_settings
from .usage import UsageError, at_least_one

log = logging.getLogger("biostation")


def _progress_bar(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, unit="img", leave=False,
                disable=None)  # silent when stderr is not a terminal


# -- synth -------------------------------------------------------------------------------
def cmd_synth_fingers(args: argparse.Namespace, settings: Settings) -> int:
    from matching.fingerprint.synth import write_synthetic_fingers

    if args.fingers < 1 or args.impressions < 1:
        raise UsageError("cli.positive_counts")
    with _progress_bar(args.fingers * args.impressions, "synthetic fingers") as bar:
        paths = write_synthetic_fingers(Path(args.out), args.fingers, args.impressions, args.seed,
                                        progress=bar.update)
    print(render("synth.done", args.lang, count=len(paths), folder=args.out), file=sys.stderr)
    return 0


# -- emulate -----------------------------------------------------------------------------
def _emulator_commands(emulator, stop: threading.Event, lang: str) -> None:
    """Lines on stdin drive the simulated finger: ``place F I``, ``lift``, ``quit``."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "place" and len(words) in (2, 3):
                finger = int(words[1]) if words[1].isdigit() else words[1]
                emulator.place(finger, int(words[2]) if len(words) == 3 else 1)
                print(render("emulator.placed", lang, finger=words[1]), file=sys.stderr)
            elif words[0] == "lift":
                emulator.lift()
                print(render("emulator.lifted", lang), file=sys.stderr)
            elif words[0] in ("quit", "exit"):
                break
            else:
                print(render("emulator.commands", lang), file=sys.stderr)
        except Exception as exc:  # a bad line must not stop the sensor
            print(render_error(exc, lang), file=sys.stderr)
    stop.set()


def cmd_emulate_zfm(args: argparse.Namespace, settings: Settings) -> int:
    import tempfile

    from drivers.zfm.emulator import ZfmEmulator
    from drivers.zfm.fingers import load_finger_set
    from drivers.zfm.pty_link import PtyLink
    from matching.fingerprint.synth import write_synthetic_fingers

    from .finger_check import check_finger_images

    if bool(args.fingers) == bool(args.synthetic):
        raise UsageError("cli.fingers_or_synthetic")
    tmp = None
    if args.fingers:
        folder = Path(args.fingers)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="zfm-synthetic-")
        folder = Path(tmp.name)
        write_synthetic_fingers(folder, args.synthetic, 8, seed=args.seed)
    fingers = load_finger_set(folder)
    for warning in check_finger_images(fingers.all_images):
        print(render(warning[0], args.lang, **warning[1]), file=sys.stderr)
    faults = tuple(k for k in (args.faults or "").split(",") if k)
    emulator = ZfmEmulator(fingers, Path(args.library) if args.library else None,
                           present_auto=args.present == "auto", faults=faults,
                           fault_rate=args.fault_rate, seed=args.seed)
    if args.password is not None:
        emulator.set_password(args.password)
    if args.baud:
        emulator.store.settings.baud_multiplier = args.baud // 9600
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    link_path = Path(args.link)
    with PtyLink(emulator, link_path, pace=bool(args.baud)):
        print(render("emulator.ready", args.lang, link=str(link_path),
                     fingers=len(fingers.fingers), images=len(fingers.all_images)),
              file=sys.stderr, flush=True)
        if args.present != "auto" and not args.no_stdin:
            threading.Thread(target=_emulator_commands, args=(emulator, stop, args.lang),
                             daemon=True).start()
        while not stop.wait(0.2):
            pass
    if tmp is not None:
        tmp.cleanup()
    return 0


# -- devices -----------------------------------------------------------------------------
def cmd_capture_finger(args: argparse.Namespace, settings: Settings) -> int:
    import cv2

    from drivers import FingerPosition, open_scanner

    from .finger_check import finger_image_problem

    try:
        position = FingerPosition.from_slug(args.finger)
    except ValueError as exc:
        raise UsageError("cli.unknown_finger", finger=args.finger) from exc
    with open_scanner(args.scanner) as scanner, _progress_bar(100, "upload") as bar:
        print(render("sensor.place_finger", args.lang, finger=position.slug), file=sys.stderr)

        def progress(fraction: float) -> None:
            bar.n = int(fraction * 100)
            bar.refresh()

        image = scanner.capture(position, timeout=args.timeout, progress=progress)
        scanner.wait_for_removal(2.0)
    problem = finger_image_problem(image.pixels)
    if args.out:
        cv2.imwrite(args.out, image.pixels)
    print(json.dumps({"device": image.device.device_id, "emulated": image.device.emulated,
                      "width": int(image.pixels.shape[1]), "height": int(image.pixels.shape[0]),
                      "fingerprint": problem is None, "out": args.out}))
    if problem is not None:
        print(render(problem, args.lang), file=sys.stderr)
        return 1
    return 0


def cmd_devices_check(args: argparse.Namespace, settings: Settings) -> int:
    from drivers import DeviceError, open_camera, open_scanner

    report: dict[str, dict] = {}
    failed = False
    if args.camera:
        try:
            cam = open_camera(args.camera)
            try:
                frame = cam.read(timeout=args.timeout)
                report["camera"] = {"ok": True, "device": cam.info.device_id, "emulated": cam.info.emulated,
                                    "width": int(frame.image.shape[1]), "height": int(frame.image.shape[0])}
            finally:
                cam.close()
        except DeviceError as exc:
            failed = True
            report["camera"] = {"ok": False, "message": render_error(exc, args.lang)}
    if args.scanner:
        try:
            with open_scanner(args.scanner) as scanner:
                report["scanner"] = {"ok": True, "device": scanner.info.device_id,
                                     "emulated": scanner.info.emulated,
                                     "templates": scanner.template_count()}
        except DeviceError as exc:
            failed = True
            report["scanner"] = {"ok": False, "message": render_error(exc, args.lang)}
    print(json.dumps(report))
    return 1 if failed else 0


def cmd_eval_fingerprints(args: argparse.Namespace, settings: Settings) -> int:
    from matching.evaluation.plots import det_plot

    from .evaluation import evaluate_fingerprint_sets, write_json

    figures, curves = evaluate_fingerprint_sets(args.dirs, args.sensor, args.dpi, baseline=args.baseline)
    out = write_json(Path(args.json), {"sets": figures, "sensor": args.sensor or "native"})
    det_plot(curves, Path(args.plot) if args.plot else out.with_suffix(".det.png"),
             "DET" + (" (ZFM view)" if args.sensor else ""))
    print(json.dumps({"sets": figures}))
    return 0


def cmd_eval_faces(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation import evaluate_faces, plot_roc, write_json

    figures, genuine, impostor = evaluate_faces(args.dir, args.pairs)
    out = write_json(Path(args.json), figures)
    plot_roc(genuine, impostor, Path(args.plot) if args.plot else out.with_suffix(".roc.png"), "ROC, LFW pairs")
    print(json.dumps(figures))
    return 0


def cmd_eval_identification(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation import evaluate_identification, write_json

    figures = evaluate_identification(args.fingers, args.faces, args.distractors, args.seed)
    write_json(Path(args.json), figures)
    print(json.dumps(figures))
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from .bench import run_bench

    print(render("bench.running", args.lang), file=sys.stderr)
    result = run_bench(include_upload=not args.no_upload, central_dbs=tuple(args.central_db or ["sqlite"]))
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(text)
    return 0


def cmd_bench_identification(args: argparse.Namespace, settings: Settings) -> int:
    from .identification_bench import run_identification_bench

    result = run_identification_bench(args.people, args.workers, args.ray, searches=args.searches,
                                      other_searches=args.other_searches, finger_searches=args.finger_searches,
                                      records=args.records)
    text = json.dumps(result, indent=1)
    if args.json:
        Path(args.json).write_text(text)
    print(text)
    return 0


def _window(kind: str):
    def command(args: argparse.Namespace, settings: Settings) -> int:
        from gui.app import run_window

        return run_window(kind, settings, args.lang, getattr(args, "camera", None), getattr(args, "scanner", None),
                          demo=getattr(args, "demo", False))

    return command


cmd_run = _window("console")


def cmd_screenshots(args: argparse.Namespace, settings: Settings) -> int:
    from gui.screenshots import take_screenshots

    written = take_screenshots(Path(args.out), settings, args.lang, args.camera, args.scanner)
    print(json.dumps({"screens": [p.name for p in written], "folder": args.out}))
    return 0


# -- parser ------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="biostation", description="Biometric capture station")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging on stderr")
    parser.add_argument("--lang", choices=("id", "en"), default=None,
                        help="language of messages (default: the station's setting)")
    sub = parser.add_subparsers(dest="command", required=True)

    for name, kind, text in (("run", "console", "officer console"), ("kiosk", "kiosk", "self-service kiosk")):
        window = sub.add_parser(name, help=text)
        window.add_argument("--camera", help="camera URL (default: the station's setting)")
        window.add_argument("--scanner", help="scanner URL (default: the station's setting)")
        if kind == "console":
            window.add_argument("--demo", action="store_true",
                                help="book a few of today's sample appointments in the embedded central record")
        window.set_defaults(func=_window(kind))
    shots = sub.add_parser("screenshots", help="render every main screen to PNG (offscreen)")
    shots.add_argument("--out", required=True)
    shots.add_argument("--camera")
    shots.add_argument("--scanner")
    shots.set_defaults(func=cmd_screenshots)

    synth = sub.add_parser("synth", help="synthetic data").add_subparsers(dest="what", required=True)
    sf = synth.add_parser("fingers", help="SFinGe-style synthetic fingerprints")
    sf.add_argument("--out", required=True)
    sf.add_argument("--fingers", type=int, required=True)
    sf.add_argument("--impressions", type=int, required=True)
    sf.add_argument("--seed", type=int, default=0)
    sf.set_defaults(func=cmd_synth_fingers)

    emulate = sub.add_parser("emulate", help="device emulators").add_subparsers(dest="what", required=True)
    ez = emulate.add_parser("zfm", help="ZFM/R30x sensor on a pseudo-terminal")
    ez.add_argument("--fingers", help="folder of <finger>_<impression> images")
    ez.add_argument("--synthetic", type=int, help="serve N generated fingers instead")
    ez.add_argument("--link", required=True, help="symlink to create for the serial port")
    ez.add_argument("--present", choices=("auto", "manual"), default="manual")
    ez.add_argument("--baud", type=int, help="pace bytes at this line rate")
    ez.add_argument("--password", type=lambda s: int(s, 0))
    ez.add_argument("--faults", help="comma list of: noise,drop,checksum,silence")
    ez.add_argument("--fault-rate", type=float, default=0.0)
    ez.add_argument("--library", help="file keeping the sensor's templates and settings")
    ez.add_argument("--seed", type=int, default=None)
    ez.add_argument("--no-stdin", action="store_true", help="ignore standard input")
    ez.set_defaults(func=cmd_emulate_zfm)

    capture = sub.add_parser("capture", help="capture from a device")
    capture = capture.add_subparsers(dest="what", required=True)
    cf = capture.add_parser("finger", help="one fingerprint image from a scanner")
    cf.add_argument("--scanner", required=True)
    cf.add_argument("--finger", default="right-thumb")
    cf.add_argument("--out")
    cf.add_argument("--timeout", type=float, default=15.0)
    cf.set_defaults(func=cmd_capture_finger)

    evaluate = sub.add_parser("eval", help="accuracy on standard protocols")
    evaluate = evaluate.add_subparsers(dest="what", required=True)
    efp = evaluate.add_parser("fingerprints", help="FVC protocol on <finger>_<impression> folders")
    efp.add_argument("dirs", nargs="+")
    efp.add_argument("--sensor", choices=("zfm",))
    efp.add_argument("--dpi", type=int, help="the images' resolution, 100–2000 (default: dpi.txt, else 500)")
    efp.add_argument("--baseline", choices=("nbis",),
                     help="also score the same pairs with NIST's mindtct + bozorth3 (each set's 'nbis' figures)")
    efp.add_argument("--json", required=True)
    efp.add_argument("--plot", help="DET curve PNG (default: beside the JSON)")
    efp.set_defaults(func=cmd_eval_fingerprints)

    eid = evaluate.add_parser("identification", help="1:N searches of chimeric persons among distractors")
    eid.add_argument("--fingers", nargs="+", required=True, help="fingerprint folders, in the order persons take them")
    eid.add_argument("--faces", required=True, help="an LFW-style folder of Person/Person_0001.jpg")
    eid.add_argument("--distractors", type=int, default=10_000)
    eid.add_argument("--seed", type=int, default=0)
    eid.add_argument("--json", required=True)
    eid.set_defaults(func=cmd_eval_identification)

    bench = sub.add_parser("bench", help="speed figures on this machine")
    bench.add_argument("--json")
    bench.add_argument("--no-upload", action="store_true", help="skip the paced sensor uploads")
    bench.add_argument("--central-db", action="append",
                       help="'sqlite' or a PostgreSQL server URL for the intake load test (repeatable)")
    bench.set_defaults(func=cmd_bench)
    bench_of = bench.add_subparsers(dest="bench_what")
    bid = bench_of.add_parser("identification", help="the 1:N gallery filled with N synthetic persons")
    bid.add_argument("--people", type=at_least_one, required=True)
    bid.add_argument("--workers", type=at_least_one, default=1, help="gallery shards, one worker each")
    bid.add_argument("--ray", help="'auto' (a local Ray) or a cluster address: Ray actors hold the shards")
    bid.add_argument("--searches", type=at_least_one, default=40, help="full records searched at their own positions")
    bid.add_argument("--other-searches", type=at_least_one, default=10,
                     help="of those, searched again over every position")
    bid.add_argument("--finger-searches", type=at_least_one, default=10,
                     help="persons whose ten fingers are searched one at a time (the shortlist's misses)")
    bid.add_argument("--records", type=at_least_one, default=10,
                     help="new records searched and added (records an hour)")
    bid.add_argument("--json")
    bid.set_defaults(func=cmd_bench_identification)
    from .bench import add_enrollment_parser

    add_enrollment_parser(bench_of)
    from . import web_bench

    web_bench.add_parser(bench_of)

    efc = evaluate.add_parser("faces", help="LFW protocol on Person/Person_0001.jpg folders")
    efc.add_argument("dir")
    efc.add_argument("--pairs", required=True)
    efc.add_argument("--json", required=True)
    efc.add_argument("--plot", help="ROC curve PNG (default: beside the JSON)")
    efc.set_defaults(func=cmd_eval_faces)

    from . import calibrate_commands, central_commands, enroll_commands

    central_commands.add_parsers(sub)
    enroll_commands.add_parsers(sub)
    calibrate_commands.add_parsers(sub)

    devices = sub.add_parser("devices", help="device checks").add_subparsers(dest="what", required=True)
    dc = devices.add_parser("check", help="open devices and read from them once")
    dc.add_argument("--camera")
    dc.add_argument("--scanner")
    dc.add_argument("--timeout", type=float, default=3.0)
    dc.set_defaults(func=cmd_devices_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(render_error(exc, args.lang or "en"), file=sys.stderr)
        return 2
    args.lang = args.lang or settings.language
    try:
        ensure_home(settings)
        log_dir = settings.log_dir
    except OSError:
        log_dir = None
    setup_logging(log_dir, settings.log_level, args.verbose)
    try:
        return int(args.func(args, settings) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every failure a person sees is a sentence, not a traceback
        if not isinstance(exc, BiostationError):
            log.exception("unexpected error")
        else:
            log.debug("command failed", exc_info=True)
        print(render_error(exc, args.lang), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
