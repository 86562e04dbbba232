"""The headless station commands: register, officers, enroll, verify, the outbox.

They drive the same flow objects as the console. Passwords come from the environment
(``BIOSTATION_PASSWORD``; a supervisor's approval from ``BIOSTATION_SUPERVISOR`` and
``BIOSTATION_SUPERVISOR_PASSWORD``), JSON goes to stdout alone, guidance to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import replace

from domain.catalog import render
from domain.errors import BiostationError

from .settings import Settings
from .usage import UsageError, password_from_stdin


def _say(args: argparse.Namespace, message_id: str, **params: object) -> None:
    print(render(message_id, args.lang, **params), file=sys.stderr, flush=True)


def _supervisor() -> tuple[str, str] | None:
    name = os.environ.get("BIOSTATION_SUPERVISOR")
    password = os.environ.get("BIOSTATION_SUPERVISOR_PASSWORD")
    return None if not name or password is None else (name, password)


def cmd_register(args: argparse.Namespace, settings: Settings) -> int:
    from .station import Station

    with Station(settings) as station:
        reg = station.register(args.central, args.token)
    _say(args, "station.registered", station=reg.station_id, name=reg.name, central=reg.central_url)
    print(json.dumps({"station_id": reg.station_id, "name": reg.name, "central": reg.central_url}))
    return 0


def cmd_officer_add(args: argparse.Namespace, settings: Settings) -> int:
    from .station import Station

    password = password_from_stdin(args)
    with Station(settings) as station:
        # the station's first account is its supervisor; later ones need a supervisor's name and password
        officer = station.officers.enlist(args.name, args.role, password, _supervisor())
    if officer.role != args.role:
        _say(args, "officer.first_supervisor", name=officer.name)
    _say(args, "officer.added", name=officer.name, role=officer.role)
    return 0


def _policy(args: argparse.Namespace, settings: Settings):
    from enrollment.policy import load_policy, parse_fingers

    policy = load_policy(settings.config_path)
    if getattr(args, "fingers", None):
        policy = replace(policy, fingers=parse_fingers(args.fingers))
    if getattr(args, "face_timeout", None) is not None:
        policy = replace(policy, face_timeout_s=args.face_timeout)
    return policy


def _capture_face(args, enrollment) -> None:
    from enrollment.face_capture import FaceState

    capture = enrollment.face_capture()
    start = time.monotonic()
    said = None
    while not capture.finished:
        frame = enrollment.camera.read(timeout=3.0)
        guidance = capture.observe_frame(frame.image, time.monotonic() - start)
        if guidance.instruction and guidance.instruction != said:
            _say(args, guidance.instruction)
            said = guidance.instruction
    if capture.state is FaceState.LIVENESS_FAILED:
        raise UsageError("enroll.liveness_failed")
    if capture.state is FaceState.TIMED_OUT:
        if not os.environ.get("BIOSTATION_SUPERVISOR"):
            failing = [c.name for c in (capture.best.checks if capture.best else []) if not c.passed]
            raise UsageError("enroll.face_timeout", seconds=int(capture.timeout_s),
                             checks=", ".join(failing) or "one_face")
        _say(args, "enroll.face_best_kept")
    enrollment.keep_face(capture)


def _capture_fingers(args, enrollment) -> None:
    from enrollment.finger_capture import FingerOutcome

    fingers = enrollment.fingers
    while not fingers.done:
        position = fingers.current
        _say(args, "sensor.place_finger", finger=position)
        if enrollment.confirms_on_sensor:  # one upload a finger: the second impression checked on the sensor
            step = enrollment.place_finger().step
        else:
            image = enrollment.capture_finger()
            enrollment.wait_for_lift()
            step = enrollment.judge(image)
        _say(args, step.message_id, **step.params)
        if step.outcome is FingerOutcome.EXHAUSTED:
            if not os.environ.get("BIOSTATION_SUPERVISOR"):
                raise UsageError("enroll.finger_exhausted", finger=position)
            fingers.keep_best("attempts exhausted at the counter")
    enrollment.fingers_done()


def cmd_enroll(args: argparse.Namespace, settings: Settings) -> int:
    from calibration.profile import load_profile
    from drivers import open_camera, open_scanner

    from .enrollment import Enrollment
    from .station import Station

    if not args.consent:
        raise UsageError("enroll.no_consent")
    password = os.environ.get("BIOSTATION_PASSWORD")
    if password is None:
        raise UsageError("enroll.no_password")
    policy = _policy(args, settings)
    with Station(settings) as station, contextlib.ExitStack() as devices:
        officer = station.officers.authenticate(args.officer, password)
        # both devices open before anything is captured: a sensor that cannot be reached says so
        # before the applicant has sat for the photo, not after
        camera = devices.enter_context(contextlib.closing(open_camera(args.camera)))
        scanner = devices.enter_context(open_scanner(args.scanner)) if policy.fingers else None
        enrollment = Enrollment(station, officer, policy, station.applications(args.central), camera=camera,
                                scanner=scanner, profile=load_profile(station.home, camera.info.device_id))
        application = enrollment.open(args.application, True, args.guardian)
        _say(args, "enroll.application", number=application["number"],
             name=f"{application['given_name']} {application['surname']}")
        _capture_face(args, enrollment)
        if enrollment.fingers.positions and not enrollment.fingers.done:
            _capture_fingers(args, enrollment)
        else:
            enrollment.fingers_done()
        if enrollment.needs_approval:
            supervisor = _supervisor()
            if supervisor is None:
                raise UsageError("enroll.needs_supervisor")
            enrollment.approve(*supervisor)
        packet_id = enrollment.submit()
        _say(args, "enroll.in_outbox", packet=packet_id)
        delivered = False
        try:
            delivered = enrollment.deliver().delivered
        except BiostationError as exc:  # delivery is retried later; the record is safe in the outbox
            _say(args, exc.message_id, **(exc.params | {"url": args.central}))
        record = enrollment.record
        face = record.face
        print(json.dumps({
            "application": application["number"], "packet_id": packet_id, "delivered": delivered,
            "face": {"all_passed": face.all_passed, "quality_exception": face.quality_exception,
                     "checks": {c.name: {"value": round(c.value, 3), "passed": c.passed} for c in face.checks}},
            "fingers": [{"finger": f.position.slug, "quality": f.quality, "attempts": f.attempts,
                         "consistency": round(f.consistency, 4)} for f in record.fingers],
            "exceptions": [{"finger": e.position.slug, "reason": e.reason} for e in record.exceptions]
                          + ([{"face": True, "reason": "quality"}] if face.quality_exception else []),
            "approved_by": record.approval.supervisor if record.approval else None,
            "calibration_profile": record.calibration_profile,
            "outbox": station.outbox.counts()}))
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from drivers import open_camera, open_scanner

    from .station import Station
    from .verification import IdentityCheck, camera_frames

    policy = _policy(args, settings)
    with Station(settings) as station:
        station.link(args.central)  # refuses a central record other than the one registered with
        camera = open_camera(args.camera)
        scanner = None
        try:
            scanner = open_scanner(args.scanner)
            check = IdentityCheck(station, policy, "counter", camera, scanner, face_timeout_s=args.face_timeout)
            result = check.run(args.application, camera_frames(camera, check.face_timeout_s),
                               on_finger=lambda p: _say(args, "sensor.place_finger", finger=p),
                               on_refused=lambda r: _say(args, r.message_id, **r.params))
        finally:
            camera.close()
            if scanner is not None:
                scanner.close()
    print(json.dumps(result.as_json()))
    _say(args, "verify." + result.decision)
    return 0 if result.decision == "match" else 1


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    """What waits for delivery, ``flush`` (deliver it) or ``set-aside`` (a supervisor's way back from damage).

    Exit 0 when nothing waits, 1 when records still wait, ``EXIT_DAMAGED`` when the outbox is damaged
    (the applications to enroll again are named), ``EXIT_BUSY`` when another delivery is running.
    """
    from domain.catalog import render_error

    from .outbox import EXIT_BUSY, EXIT_DAMAGED, OutboxBusy, OutboxDamaged
    from .station import FLUSH_WAIT_S, Station
    from .storage import StorageError

    wait = FLUSH_WAIT_S if args.wait is None else args.wait

    def counts(station) -> dict:
        try:
            return station.outbox.counts()
        except StorageError:  # a damaged file has no counts to give
            return {}

    def damaged(station, exc: OutboxDamaged, extra: dict) -> int:
        print(render_error(exc, args.lang), file=sys.stderr, flush=True)
        if args.action == "flush" or args.json:
            print(json.dumps(counts(station) | extra | {"damaged": exc.damage.as_json()}))
        return EXIT_DAMAGED

    if args.action == "set-aside":
        supervisor = _supervisor()
        if supervisor is None:
            raise UsageError("station.needs_supervisor")
        with Station(settings, audit_check="new") as station:
            done = station.set_aside(*supervisor, wait_s=wait)
            after = counts(station)
        if done is None:
            _say(args, "outbox.nothing_damaged")
            print(json.dumps(after | {"moved_to": None, "kept": 0, "lost": []}))
            return 0
        applications = ", ".join(done.applications) or "-"
        if done.moved_to:
            _say(args, "outbox.set_aside_file", file=done.moved_to, kept=len(done.kept), count=len(done.lost),
                 applications=applications)
        else:
            _say(args, "outbox.set_aside", count=len(done.lost), applications=applications)
        print(json.dumps(after | {"moved_to": done.moved_to, "kept": len(done.kept), "lost": [
            {"packet": p.packet, "application": p.application, "what": p.what} for p in done.lost]}))
        return 0
    with Station(settings, audit_check="new") as station:
        if args.action == "flush":
            try:
                result = station.flush(wait_s=wait)
            except OutboxBusy as exc:
                _say(args, exc.message_id, **exc.params)
                print(json.dumps({"busy": True}))
                return EXIT_BUSY
            except OutboxDamaged as exc:
                done = exc.result
                return damaged(station, exc, {"delivered_now": done.delivered if done else 0,
                                              "refused_now": done.refused if done else 0})
            if not result.reachable:
                _say(args, "outbox.unreachable", pending=result.pending)
            _say(args, "outbox.flushed", delivered=result.delivered, refused=result.refused,
                 pending=result.pending)
            print(json.dumps(station.outbox.counts() | {"delivered_now": result.delivered,
                                                        "refused_now": result.refused}))
            return 0 if result.pending == 0 else 1
        damage = station.outbox_damage()
        if damage is not None:
            return damaged(station, OutboxDamaged(damage), {"entries": station.outbox.entries()}
                           if args.json and damage.problem is None else {})
        if args.json:
            print(json.dumps(station.outbox.counts() | {"entries": station.outbox.entries()}))
        else:
            _say(args, "outbox.counts", **station.outbox.counts())
    return 0


def add_parsers(sub) -> None:
    st = sub.add_parser("station", help="this station").add_subparsers(dest="what", required=True)
    reg = st.add_parser("register", help="register with the central record (one-time token)")
    reg.add_argument("--central", required=True)
    reg.add_argument("--token", required=True)
    reg.set_defaults(func=cmd_register)

    officer = sub.add_parser("officer", help="officer accounts").add_subparsers(dest="what", required=True)
    add = officer.add_parser("add", help="add an account")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=("officer", "supervisor", "technician"))
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_officer_add)

    enroll = sub.add_parser("enroll", help="enroll an applicant (headless)")
    enroll.add_argument("--application", required=True)
    enroll.add_argument("--camera", required=True)
    enroll.add_argument("--scanner", required=True)
    enroll.add_argument("--officer", required=True)
    enroll.add_argument("--central", required=True)
    enroll.add_argument("--consent", action="store_true", help="the officer obtained the applicant's consent")
    enroll.add_argument("--guardian", help="name of the guardian who consented (minors)")
    enroll.add_argument("--fingers", help="comma list, e.g. right-thumb,right-index")
    enroll.add_argument("--face-timeout", type=float, default=20.0)
    enroll.set_defaults(func=cmd_enroll)

    verify = sub.add_parser("verify", help="1:1 verification against the enrolled record")
    verify.add_argument("--application", required=True)
    verify.add_argument("--camera", required=True)
    verify.add_argument("--scanner", required=True)
    verify.add_argument("--central", required=True)
    verify.add_argument("--face-timeout", type=float, help="seconds to find a face (default: the policy's)")
    verify.set_defaults(func=cmd_verify)

    outbox = sub.add_parser("outbox", help="records waiting for delivery")
    outbox.add_argument("action", nargs="?", choices=("flush", "set-aside"),
                        help="flush: deliver now; set-aside: a supervisor sets damaged records aside")
    outbox.add_argument("--json", action="store_true")
    outbox.add_argument("--wait", type=float, help="seconds to wait for another delivery to finish (default 30)")
    outbox.set_defaults(func=cmd_outbox)

    from .audit_commands import add_parsers as add_audit_parsers

    add_audit_parsers(sub)
