"""``biostation central ...``: run and administer the central application record."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

from domain.catalog import render

from .settings import Settings
from .usage import UsageError


def _db(args: argparse.Namespace, settings: Settings) -> str:
    return args.db or "sqlite:///" + str((settings.home / "central.db").resolve())


def _engine(args: argparse.Namespace, settings: Settings):
    from sqlalchemy.exc import OperationalError

    from central.db import connect

    try:
        return connect(_db(args, settings))
    except OperationalError as exc:
        raise UsageError("central.db_unreachable", url=_db(args, settings)) from exc
    except Exception as exc:  # a malformed URL or an unknown database kind
        if type(exc).__name__ in ("ArgumentError", "NoSuchModuleError"):
            raise UsageError("central.bad_db_url", url=_db(args, settings)) from exc
        raise


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from central.service import serve

    engine = _engine(args, settings)
    print(render("central.serving", args.lang, url=f"http://{args.host}:{args.port}"), file=sys.stderr, flush=True)
    serve(engine, args.host, args.port, production=args.production)
    return 0


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
                             args.service, when)
    print(number)
    return 0


def cmd_station_token(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import issue_token

    print(render("central.token_once", args.lang), file=sys.stderr)
    print(issue_token(_engine(args, settings), args.name))
    return 0


def cmd_records(args: argparse.Namespace, settings: Settings) -> int:
    from central.store import list_records

    records = list_records(_engine(args, settings))
    if args.json:
        print(json.dumps(records))
    else:
        for r in records:
            flags = ", ".join(f"{f['modality']}→{f['other_application']}" for f in r["flags"]) or "-"
            status = r["status"] + (f" ({render(r['hold_reason'], args.lang)})" if r["hold_reason"] else "")
            print(f"{r['received_at']}  {r['application']}  {r['packet_id']}  {status}  {flags}")
    return 0


def add_parsers(sub) -> None:
    central = sub.add_parser("central", help="the central application record").add_subparsers(
        dest="what", required=True)
    serve = central.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--db", help="database URL (default: central.db in the station home)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--production", action="store_true", help="refuse records from emulated devices")
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
    add.set_defaults(func=cmd_add_application)

    token = central.add_parser("station-token", help="a one-time station registration token")
    token.add_argument("--db")
    token.add_argument("--name", required=True)
    token.set_defaults(func=cmd_station_token)

    records = central.add_parser("records", help="records received")
    records.add_argument("--db")
    records.add_argument("--json", action="store_true")
    records.set_defaults(func=cmd_records)
