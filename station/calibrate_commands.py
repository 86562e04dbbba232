"""``biostation calibrate camera|sensor``: the technician's procedures from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from domain.catalog import render

from .settings import Settings
from .usage import UsageError


def _print_checks(checks: list[dict], language: str) -> None:
    """One line per check; a check with its own sentence (the sensor's NFIQ 2: passed or failed, and
    why) says it below, in the technician's language."""
    from calibration.sensor import check_message

    for check in checks:
        print(f"{'PASS' if check['passed'] else 'FAIL'}  {check['name']}: {check['value']} ({check['limit']})",
              file=sys.stderr)
        said = check_message(check, language)
        if said:
            print(f"      {said}", file=sys.stderr)


def cmd_calibrate_camera(args: argparse.Namespace, settings: Settings) -> int:
    from .calibration import Calibration
    from .station import Station

    folder = Path(args.images)
    if not folder.is_dir():
        raise UsageError("cli.no_folder", folder=str(folder))
    report = Path(args.report) if args.report else (Path(args.json).with_suffix(".html") if args.json else None)
    with Station(settings) as station:
        procedure = Calibration(station)
        done = procedure.camera(folder, args.board, args.square_mm, args.device_id,
                                Path(args.edge) if args.edge else None, Path(args.chart) if args.chart else None,
                                Path(args.position) if args.position else None, report)
        out = done.summary
        if args.device_id:
            out["profile_path"] = str(procedure.save_profile(done))
            print(render("calibration.profile_saved", args.lang, id=done.result.profile.id, device=args.device_id),
                  file=sys.stderr)
    _print_checks(done.result.checks, args.lang)
    if done.unreadable:  # left out of the fit; named so the technician can replace them
        print(render("calibration.unreadable_skipped", args.lang, count=len(done.unreadable),
                     names=", ".join(done.unreadable)), file=sys.stderr)
    if done.result.results.get("uncovered"):
        print(render("calibration.cover_more", args.lang, regions=", ".join(done.result.results["uncovered"])),
              file=sys.stderr)
    text = json.dumps(out)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text)
    print(text)
    return 0


def cmd_calibrate_sensor(args: argparse.Namespace, settings: Settings) -> int:
    from drivers import open_scanner

    from .calibration import Calibration
    from .station import Station

    print(render("calibration.sensor_steps", args.lang), file=sys.stderr)
    with Station(settings) as station, open_scanner(args.scanner) as scanner:
        result = Calibration(station).sensor(scanner, args.security_level)
    _print_checks(result["checks"], args.lang)
    text = json.dumps(result)
    if args.json:
        Path(args.json).write_text(text)
    print(text)
    return 0 if result["passed"] else 1


def cmd_calibrate_gui(args: argparse.Namespace, settings: Settings) -> int:
    from gui.app import run_window

    return run_window("calibration", settings, args.lang)


def add_parsers(sub) -> None:
    cal = sub.add_parser("calibrate", help="technician calibration (window, or a procedure by name)")
    cal.set_defaults(func=cmd_calibrate_gui)
    procedures = cal.add_subparsers(dest="what")
    cam = procedures.add_parser("camera", help="camera geometry, sharpness, colour and capture position")
    cam.add_argument("--images", required=True, help="folder of checkerboard views")
    cam.add_argument("--board", default="9x6", help="inner corners, columns x rows")
    cam.add_argument("--square-mm", type=float, default=25.0)
    cam.add_argument("--json")
    cam.add_argument("--device-id", help="save the profile for this camera (its device id)")
    cam.add_argument("--edge", help="photo of a slanted-edge target at the working distance")
    cam.add_argument("--chart", help="photo of a 24-patch ColorChecker")
    cam.add_argument("--position", help="photo of the board held where the face will be")
    cam.add_argument("--report", help="HTML report path (default: beside the JSON)")
    cam.set_defaults(func=cmd_calibrate_camera)
    sensor = procedures.add_parser("sensor", help="fingerprint sensor: blank frame, range, baud, library")
    sensor.add_argument("--scanner", required=True)
    sensor.add_argument("--security-level", type=int, default=3, choices=range(1, 6))
    sensor.add_argument("--json")
    sensor.set_defaults(func=cmd_calibrate_sensor)
