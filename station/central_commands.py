"""``biostation central ...``: run and administer the central application record."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from datetime import datetime

from domain.catalog import render

from .settings import Settings
from .usage import UsageError, password_from_stdin


def _db(args: argparse.Namespace, settings: Settings) -> str:
    return args.db or "sqlite:///" + str((settings.home / "central.db").resolve())


def _engine(args: argparse.Namespace, settings: Settings):
    from sqlalchemy.exc import OperationalError

    from central.db import connect

    try:
        return connect(_db(args, settings), keys=getattr(args, "keys", None))
    except OperationalError as exc:
        raise UsageError("central.db_unreachable", url=_db(args, settings)) from exc
    except Exception as exc:  # a malformed URL or an unknown database kind
        if type(exc).__name__ in ("ArgumentError", "NoSuchModuleError"):
            raise UsageError("central.bad_db_url", url=_db(args, settings)) from exc
        raise


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import ArgumentError

    from central.db import normalize_url
    from central.keys import resolve_directory
    from central.service import serve
    from central.store import central_key

    try:
        url = normalize_url(_db(args, settings))
    except ArgumentError:
        url = None  # _engine says what is wrong with it
    if url is not None:
        resolve_directory(url, args.keys)  # PostgreSQL without --keys: refused before we connect
    if args.ray:  # a cluster without TLS and a token: refused before we listen
        from central.ray_shards import check_address

        check_address(args.ray)
    tls = _tls_files(args)  # before we connect: a missing certificate stops the start at once
    engine = _engine(args, settings)
    # the keys loaded before we say we listen: made, moved out of an old database or checked against
    # its records; with PostgreSQL and no --keys, refused (central.keys_required)
    central_key(engine)
    scheme = "https" if tls else "http"
    print(render("central.serving", args.lang, url=f"{scheme}://{args.host}:{args.port}"), file=sys.stderr, flush=True)
    if tls:
        _serve_tls(engine, args, *tls)
    else:
        serve(engine, args.host, args.port, production=args.production, workers=args.workers, ray=args.ray)
    return 0


def _tls_files(args: argparse.Namespace) -> tuple[str, str] | None:
    """``--tls-cert`` and ``--tls-key``, both or neither, each a readable file."""
    if not (args.tls_cert or args.tls_key):
        return None
    if not (args.tls_cert and args.tls_key):
        raise UsageError("portal.cli.tls_pair")
    for path in (args.tls_cert, args.tls_key):
        try:
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise UsageError("portal.cli.tls_unreadable", path=path) from exc
    return args.tls_cert, args.tls_key


def _serve_tls(engine, args: argparse.Namespace, cert: str, key: str) -> None:
    """``central.service.serve`` over TLS: the same app and guarded server, uvicorn's TLS on top.

    The pages then send HSTS and mark their cookies Secure (they see https as their scheme).
    """
    import uvicorn

    from central.service import MAX_PACKET_BYTES, BodyLimit, create_app, server_config

    app = BodyLimit(create_app(engine, args.production, args.workers, args.ray), MAX_PACKET_BYTES)
    config = server_config(app, args.host, args.port)
    config.ssl_certfile, config.ssl_keyfile = cert, key
    uvicorn.Server(config).run()


def cmd_add_application(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import add_application

    when = None
    if args.appointment:
        try:
            when = datetime.fromisoformat(args.appointment)
        except ValueError as exc:
            raise UsageError("central.bad_appointment", value=args.appointment) from exc
        if when.tzinfo is None:
            from zoneinfo import ZoneInfo

            when = when.replace(tzinfo=ZoneInfo(settings.timezone))
    number = add_application(_engine(args, settings), args.given_name, args.surname, args.birth_date,
                             args.service, when, office=args.office)
    print(number)
    return 0


def cmd_offices_add(args: argparse.Namespace, settings: Settings) -> int:
    from central.offices import add_office

    office = add_office(_engine(args, settings), args.name, args.opens, args.closes, args.slot_minutes,
                        args.capacity, args.timezone, args.closed_weekdays)
    print(render("portal.cli.office_added", args.lang, name=office.name, zone=office.zone_label,
                 opens=args.opens, closes=args.closes, minutes=office.slot_minutes, capacity=office.capacity),
          file=sys.stderr)
    print(json.dumps(office.as_json()))
    return 0


def _listing(args: argparse.Namespace, whole: object, rows: Iterable, line: Callable[[object], str]) -> int:
    """What a list command prints: ``whole`` as JSON with ``--json``, else one ``line(row)`` a row."""
    if args.json:
        print(json.dumps(whole))
    else:
        for row in rows:
            print(line(row))
    return 0


def cmd_offices_list(args: argparse.Namespace, settings: Settings) -> int:
    from central.offices import list_offices

    found = list_offices(_engine(args, settings))
    return _listing(args, [o.as_json() for o in found], found, lambda o: (
        f"{o.id:>4}  {o.name}  {o.zone_label}  {o.opens:%H:%M}-{o.closes:%H:%M}  {o.slot_minutes} min  "
        f"x{o.capacity}  closed: {','.join(o.as_json()['closed_weekdays']) or '-'}"))


def cmd_offices_day(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from central.offices import office_named, set_day

    try:
        day = date.fromisoformat(args.day)
    except ValueError as exc:
        raise UsageError("portal.cli.bad_day", value=args.day) from exc
    engine = _engine(args, settings)
    office = office_named(engine, args.name)
    set_day(engine, office, day, closed=args.closed, capacity=args.capacity)
    what = (render("portal.cli.day_closed", args.lang) if args.closed
            else render("portal.cli.day_capacity", args.lang, capacity=args.capacity))
    print(render("portal.cli.day_set", args.lang, name=office.name, day=day.isoformat(), what=what), file=sys.stderr)
    return 0


def cmd_station_token(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import issue_token

    print(render("central.token_once", args.lang), file=sys.stderr)
    print(issue_token(_engine(args, settings), args.name, args.office))
    return 0


def cmd_stations_list(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import list_stations

    stations = list_stations(_engine(args, settings))
    return _listing(args, stations, stations, lambda s: (
        f"{s['station_id']}  {s['name']}  office {s['office_id'] or '-'}  registered {s['registered_at']}"
        + (f"  REVOKED {s['revoked_at']}" if s["revoked_at"] else "")))


def cmd_stations_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import revoke_station

    print(json.dumps({"revoked": revoke_station(_engine(args, settings), args.station)}))
    return 0


def cmd_records(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import list_records

    def line(r: dict) -> str:
        flags = ", ".join(f"#{f['item']}→{f['other_application']}" for f in r["flags"]) or "-"
        status = r["status"] + (f" ({render(r['hold_reason'], args.lang)})" if r["hold_reason"] else "")
        return f"{r['received_at']}  {r['application']}  {r['packet_id']}  {status}  {flags}"

    records = list_records(_engine(args, settings))
    return _listing(args, records, records, line)


def cmd_staff_add(args: argparse.Namespace, settings: Settings) -> int:
    from central.staff import add_staff

    member = add_staff(_engine(args, settings), args.name, args.role, password_from_stdin(args))
    print(render("officer.added", args.lang, name=member.name, role=member.role), file=sys.stderr)
    return 0


def cmd_adjudication_list(args: argparse.Namespace, settings: Settings) -> int:
    from central.adjudication import items

    def line(i: dict) -> str:
        scores = i["scores"]
        fused = scores.get("score", "-") if i["kind"] == "possible_duplicate" else scores.get("fused", "-")
        decided = f"{i['decision']} ({i['decided_by']})" if i["decision"] else "open"
        return f"{i['id']:>6}  {i['kind']:<18}  {i['application']}  {i['other_application']}  {fused}  {decided}"

    page = items(_engine(args, settings), args.state, args.limit, args.offset)
    return _listing(args, page, page["items"], line)


def cmd_adjudication_decide(args: argparse.Namespace, settings: Settings) -> int:
    from central.adjudication import decide
    from central.staff import authenticate

    engine = _engine(args, settings)
    member = authenticate(engine, args.name, password_from_stdin(args))
    print(json.dumps(decide(engine, args.item, args.decision, member)))
    return 0


def _passphrase(args: argparse.Namespace) -> str:
    """A backup's passphrase, from standard input only (``--passphrase-stdin``: arguments show in the process list)."""
    if not args.passphrase_stdin:
        raise UsageError("central.passphrase_stdin")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from central.backup import backup

    passphrase = _passphrase(args)  # before anything else: a refused passphrase leaves no file
    summary = backup(_engine(args, settings), args.out, passphrase)
    print(json.dumps(summary.as_json()))
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from central.backup import restore

    passphrase = _passphrase(args)
    summary = restore(_engine(args, settings), args.file, passphrase)
    print(json.dumps(summary.as_json()))
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    from central.retention import RetentionPolicy, run

    policy = RetentionPolicy.load(args.policy)
    print(json.dumps(run(_engine(args, settings), policy, dry_run=args.dry_run, actor="retention (command line)")))
    return 0


def add_parsers(sub) -> None:
    central = sub.add_parser("central", help="the central application record").add_subparsers(
        dest="what", required=True)
    serve = central.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--db", help="database URL (default: central.db in the station home)")
    serve.add_argument("--keys", metavar="DIR",
                       help="the key directory, outside the database (default: BIOSTATION_CENTRAL_KEYS, else "
                            "beside a SQLite file as FILE.keys; required with PostgreSQL)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--production", action="store_true", help="refuse records from emulated devices")
    serve.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this PEM certificate (chain)")
    serve.add_argument("--tls-key", metavar="FILE", help="the certificate's PEM private key")
    serve.add_argument("--workers", type=int,
                       help="gallery shards, each held by a worker (default: one per 50,000 persons, up to the cores)")
    serve.add_argument("--ray", metavar="auto|ADDRESS",
                       help="hold the gallery's shards in Ray actors: 'auto' starts a local Ray, ray://HOST:10001 "
                            "joins a cluster (TLS and token authentication required: docs/security.md)")
    serve.set_defaults(func=cmd_serve)

    apps = central.add_parser("applications", help="online applications").add_subparsers(dest="action",
                                                                                        required=True)
    add = apps.add_parser("add", help="register an application (prints its number last)")
    add.add_argument("--db")
    add.add_argument("--given-name", required=True)
    add.add_argument("--surname", required=True)
    add.add_argument("--birth-date", required=True)
    add.add_argument("--service", required=True)
    add.add_argument("--appointment", help="ISO date-time (default: now)")
    add.add_argument("--office", help="the office's name (default: the default office, the oldest)")
    add.set_defaults(func=cmd_add_application)

    offices = central.add_parser("offices", help="offices, their hours and slots").add_subparsers(
        dest="action", required=True)
    office_add = offices.add_parser("add", help="open an office for bookings (prints it as JSON)")
    office_add.add_argument("--db")
    office_add.add_argument("--name", required=True)
    office_add.add_argument("--opens", required=True, metavar="HH:MM")
    office_add.add_argument("--closes", required=True, metavar="HH:MM")
    office_add.add_argument("--slot-minutes", type=int, required=True)
    office_add.add_argument("--capacity", type=int, required=True, help="applicants per slot")
    office_add.add_argument("--timezone", "--zone", default="Asia/Jakarta",
                            help="WIB, WITA, WIT or an IANA zone (default: Asia/Jakarta, WIB)")
    office_add.add_argument("--closed-weekdays", default="sat,sun", metavar="DAYS",
                            help="weekdays the office is shut, e.g. sat,sun (default); '' for none")
    office_add.set_defaults(func=cmd_offices_add)
    office_list = offices.add_parser("list", help="the offices")
    office_list.add_argument("--db")
    office_list.add_argument("--json", action="store_true")
    office_list.set_defaults(func=cmd_offices_list)
    office_day = offices.add_parser("day", help="shut an office on one day, or set that day's capacity per slot")
    office_day.add_argument("--db")
    office_day.add_argument("--name", required=True)
    office_day.add_argument("--day", required=True, metavar="YYYY-MM-DD")
    shut = office_day.add_mutually_exclusive_group(required=True)
    shut.add_argument("--closed", action="store_true")
    shut.add_argument("--capacity", type=int)
    office_day.set_defaults(func=cmd_offices_day)

    token = central.add_parser("station-token", help="a one-time station registration token")
    token.add_argument("--db")
    token.add_argument("--name", required=True)
    token.add_argument("--office", help="the office the station serves: its queue (default: the default office)")
    token.set_defaults(func=cmd_station_token)

    stations = central.add_parser("stations", help="the registered stations").add_subparsers(
        dest="action", required=True)
    stations_list = stations.add_parser("list", help="every station, its office and whether it is revoked")
    stations_list.add_argument("--db")
    stations_list.add_argument("--json", action="store_true")
    stations_list.set_defaults(func=cmd_stations_list)
    revoke = stations.add_parser("revoke", help="refuse a station's signatures from now on (a lost or stolen one)")
    revoke.add_argument("--db")
    revoke.add_argument("station", help="its id or name")
    revoke.set_defaults(func=cmd_stations_revoke)

    records = central.add_parser("records", help="records received")
    records.add_argument("--db")
    records.add_argument("--json", action="store_true")
    records.set_defaults(func=cmd_records)

    staff = central.add_parser("staff", help="the central record's staff accounts").add_subparsers(
        dest="action", required=True)
    staff_add = staff.add_parser("add", help="add an adjudicator or administrator")
    staff_add.add_argument("--db")
    staff_add.add_argument("--name", required=True)
    staff_add.add_argument("--role", required=True, choices=("adjudicator", "admin"))
    staff_add.add_argument("--password-stdin", action="store_true")
    staff_add.set_defaults(func=cmd_staff_add)

    queue = central.add_parser("adjudication", help="the queue of possible duplicates and held records").add_subparsers(
        dest="action", required=True)
    listing = queue.add_parser("list", help="the queue's items")
    listing.add_argument("--db")
    listing.add_argument("--state", choices=("open", "decided", "all"), default="open")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=cmd_adjudication_list)
    decision = queue.add_parser("decide", help="decide an item (as an adjudicator)")
    decision.add_argument("--db")
    decision.add_argument("--item", type=int, required=True)
    decision.add_argument("--decision", required=True, choices=("same_person", "different_people", "refer"))
    decision.add_argument("--name", required=True, help="the adjudicator's account")
    decision.add_argument("--password-stdin", action="store_true")
    decision.set_defaults(func=cmd_adjudication_decide)

    keys_help = ("the key directory (default: BIOSTATION_CENTRAL_KEYS, else beside a SQLite file; "
                 "required with PostgreSQL)")
    saving = central.add_parser("backup", help="the database and its keys in one passphrase-encrypted file")
    saving.add_argument("--db")
    saving.add_argument("--keys", metavar="DIR", help=keys_help)
    saving.add_argument("--out", required=True, metavar="FILE", help="the backup file to write (never replaced)")
    saving.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from standard input")
    saving.set_defaults(func=cmd_backup)
    restoring = central.add_parser("restore", help="a backup into an empty database and key directory")
    restoring.add_argument("file", metavar="FILE")
    restoring.add_argument("--db")
    restoring.add_argument("--keys", metavar="DIR", help=keys_help)
    restoring.add_argument("--passphrase-stdin", action="store_true", help="read the passphrase from standard input")
    restoring.set_defaults(func=cmd_restore)
    retention = central.add_parser("retention", help="erase biometrics past their retention period (UU 27/2022)")
    retention.add_argument("--db")
    retention.add_argument("--keys", metavar="DIR", help=keys_help)
    retention.add_argument("--policy", metavar="FILE", help="a TOML file whose [retention] table sets the periods")
    retention.add_argument("--dry-run", action="store_true", help="say what would be erased; change nothing")
    retention.set_defaults(func=cmd_retention)
