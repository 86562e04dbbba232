"""The audit log's commands: check the whole chain, and a supervisor's re-anchor of a refused one.

Both open the station without its own audit check (``audit_check="off"``): they are how a log
the station refuses is looked at and brought back. A re-anchor needs a supervisor
(``BIOSTATION_SUPERVISOR`` and ``BIOSTATION_SUPERVISOR_PASSWORD``). JSON goes to stdout alone,
sentences to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from domain.catalog import render, render_error

from .settings import Settings
from .usage import UsageError


def _say(args: argparse.Namespace, message_id: str, **params: object) -> None:
    print(render(message_id, args.lang, **params), file=sys.stderr, flush=True)


def _runs(runs: list) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs) or "-"


def cmd_audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    """The whole chain, from its first entry: exit 0 when intact, 1 when the station would refuse it."""
    from .audit import GENESIS
    from .station import Station

    with Station(settings, audit_check="off") as station:
        problem = station.check_audit(full=True)
        last = station.audit.last()
        count = station.audit.count()
    print(json.dumps({"intact": problem is None, "entries": count, "head_seq": last[0] if last else 0,
                      "head": last[1] if last else GENESIS,
                      "problem": None if problem is None else {"message_id": problem.message_id, **problem.params}}))
    if problem is not None:
        print(render_error(problem, args.lang), file=sys.stderr, flush=True)
        return 1
    _say(args, "station.audit_intact", count=count, seq=last[0] if last else 0)
    return 0


def cmd_audit_reanchor(args: argparse.Namespace, settings: Settings) -> int:
    """A supervisor's re-anchor of a refused chain; exit 1 when the chain is intact (nothing done)."""
    from .audit import AuditError
    from .station import Station

    name, password = os.environ.get("BIOSTATION_SUPERVISOR"), os.environ.get("BIOSTATION_SUPERVISOR_PASSWORD")
    if not name or password is None:
        raise UsageError("station.needs_supervisor")
    with Station(settings, audit_check="off") as station:
        try:
            entry = station.reanchor(name, password)
        except AuditError as exc:
            if exc.message_id != "station.audit_nothing_to_reanchor":
                raise
            _say(args, exc.message_id)
            return 1
    detail = entry.detail
    _say(args, "station.audit_reanchored", supervisor=entry.actor, seq=entry.seq, broken=_runs(detail["broken"]),
         old_seq=detail["old_seq"])
    print(json.dumps({"seq": entry.seq, "hash": entry.hash, "supervisor": entry.actor, "broken": detail["broken"],
                      "old_seq": detail["old_seq"], "old_head": detail["old_head"],
                      "remembered": detail["remembered"], "finding": detail["finding"]}))
    return 0


def add_parsers(sub) -> None:
    audit = sub.add_parser("audit", help="the station's audit log").add_subparsers(dest="what", required=True)
    verify = audit.add_parser("verify", help="check the whole hash chain")
    verify.set_defaults(func=cmd_audit_verify)
    reanchor = audit.add_parser("reanchor", help="a supervisor re-anchors a chain the station refuses")
    reanchor.set_defaults(func=cmd_audit_reanchor)
