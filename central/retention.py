"""Retention of biometric data at the central record, under Indonesia's UU 27/2022 (Pelindungan Data Pribadi).

The law's storage-limitation principle (art. 16(2)) keeps personal data no longer than its purpose
needs, and biometric data is *specific* personal data (art. 4(2)). The central record holds an
application's biometrics for two purposes: identity verification against the current version, and
the 1:N deduplication that keeps one person from holding two identities. A version that serves
neither is erased after a period that leaves room for the applicant's objection and the office's
review. The periods live in one place, :class:`RetentionPolicy` (defaults below, an office's own in
the ``[retention]`` table of a TOML file given with ``--policy``); docs/security.md ("Retention")
states them and their grounds.

What is erased is a record's *biometric* content: its files (face record, prints, templates, the
ANSI/NIST transaction, and the wrapped data key that opened them, so a copy of the rows in an old
backup no longer opens either once the backup ages out) and the face embedding in its manifest. The
record's row stays with a tombstone (``records.erased_at``, ``records.erasure``: what was erased,
under which rule and period, by whom), and each erasure is a ``retention.erase`` entry of the
central audit, in the same transaction as the erasure. A record that an open adjudication item or a
*refer for investigation* decision names is on hold and never erased here. The current version of an
application is never erased by this module: ending an application's enrollment as a whole (a
withdrawn or rejected application, a person's erasure request) needs the application's outcome,
which the immigration system decides and the central record does not learn (docs/security.md).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, or_, select

from domain.errors import BiostationError

from . import db
from .staff import audit
from .store import _aware, now_utc


class RetentionError(BiostationError, ValueError):
    """A retention policy file that cannot be used as written."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of data is kept, in days (the one place the periods are written)."""

    # a re-enrollment held because it did not match the current version, which an adjudicator then
    # found to be *another person*: not the applicant's data; kept for the objection and review window
    refused_version_days: int = 90
    # an accepted version once a newer version became current: verification and the 1:N search read
    # only the current one; kept a year for disputes about the re-enrollment itself
    superseded_version_days: int = 365
    # the central audit (who decided, who viewed which biometrics, what was erased): kept at least this
    # long and never erased by ``retention``; its deletion is the deployment's archive policy
    central_audit_days: int = 3650

    @classmethod
    def load(cls, path: str | Path | None) -> RetentionPolicy:
        """The defaults, with the ``[retention]`` table of the TOML file at ``path`` over them."""
        if path is None:
            return cls()
        try:
            table = tomllib.loads(Path(path).read_text("utf-8")).get("retention", {})
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RetentionError("central.retention_policy_unreadable", file=path, problem=exc) from exc
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(table) - known)
        if unknown:
            raise RetentionError("central.retention_policy_unknown", file=path, keys=", ".join(unknown),
                                 known=", ".join(sorted(known)))
        for key, value in table.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise RetentionError("central.retention_policy_value", file=path, key=key, value=value)
        return cls(**table)


@dataclass(frozen=True)
class Due:
    """A record whose biometrics are due for erasure, and why."""

    packet_id: str
    application: str
    rule: str  # refused_version | superseded_version
    since: datetime  # when its retention period started (the decision, the newer version's arrival)
    due: datetime

    def as_json(self) -> dict:
        return {"packet_id": self.packet_id, "application": self.application, "rule": self.rule,
                "since": self.since.isoformat(), "due": self.due.isoformat()}


def _on_hold(conn) -> set[str]:
    """Records an open item or a *refer for investigation* decision names: never erased while it does."""
    t = db.adjudication_items
    rows = conn.execute(select(t.c.packet_id, t.c.other_packet_id)
                        .where(or_(t.c.decision.is_(None), t.c.decision == "refer"))).all()
    return {p for row in rows for p in row if p}


def due_records(engine: Engine, policy: RetentionPolicy, now: datetime | None = None) -> tuple[list[Due], list[str]]:
    """(records past their period, records past it but on hold), oldest first."""
    now = now or now_utc()
    r, t = db.records.c, db.adjudication_items.c
    found: list[Due] = []
    with engine.begin() as conn:
        hold = _on_hold(conn)
        refused = conn.execute(select(r.packet_id, r.application, t.decided_at)
                               .join(db.adjudication_items, db.adjudication_items.c.packet_id == r.packet_id)
                               .where(r.erased_at.is_(None), r.status == "held", t.kind == "reenrollment_held",
                                      t.decision == "different_people")).all()
        for row in refused:
            since = _aware(row.decided_at)
            found.append(Due(row.packet_id, row.application, "refused_version", since,
                             since + timedelta(days=policy.refused_version_days)))
        accepted = conn.execute(select(r.packet_id, r.application, r.received_at, r.erased_at)
                                .where(r.status == "accepted")
                                .order_by(r.application, r.received_at, r.packet_id)).all()
    by_application: dict[str, list] = {}
    for row in accepted:
        by_application.setdefault(row.application, []).append(row)
    for versions in by_application.values():
        for older, newer in zip(versions, versions[1:], strict=False):
            if older.erased_at is None and _aware(newer.received_at) > _aware(older.received_at):
                since = _aware(newer.received_at)
                found.append(Due(older.packet_id, older.application, "superseded_version", since,
                                 since + timedelta(days=policy.superseded_version_days)))
    past = sorted((d for d in found if d.due <= now), key=lambda d: (d.due, d.packet_id))
    return [d for d in past if d.packet_id not in hold], [d.packet_id for d in past if d.packet_id in hold]


def erase(engine: Engine, due: Due, policy: RetentionPolicy, actor: str) -> dict | None:
    """Erase one record's biometrics, leave its tombstone and audit it, in one transaction; None if gone
    meanwhile (erased by another run, or put on hold since it was listed)."""
    r = db.records.c
    with engine.begin() as conn:
        row = conn.execute(select(r.manifest, r.erased_at).where(r.packet_id == due.packet_id)).first()
        if row is None or row.erased_at is not None or due.packet_id in _on_hold(conn):
            return None
        names = sorted(conn.execute(select(db.record_files.c.name)
                                    .where(db.record_files.c.packet_id == due.packet_id)).scalars())
        manifest = json.loads(row.manifest)
        face = manifest.get("face")
        embedding = isinstance(face, dict) and face.get("embedding") is not None
        if embedding:
            face["embedding"] = None
        at = now_utc()
        tombstone = {"at": at.isoformat(), "rule": due.rule, "since": due.since.isoformat(),
                     "period_days": getattr(policy, f"{due.rule}_days"), "by": actor,
                     "files": names, "face_embedding": embedding}
        conn.execute(db.record_files.delete().where(db.record_files.c.packet_id == due.packet_id))
        conn.execute(db.records.update().where(r.packet_id == due.packet_id).values(
            erased_at=at, erasure=json.dumps(tombstone, sort_keys=True),
            manifest=json.dumps(manifest, sort_keys=True, ensure_ascii=False)))
        audit(conn, actor, "retention.erase", due.packet_id, application=due.application, rule=due.rule,
              period_days=tombstone["period_days"], files=names, face_embedding=embedding)
    return tombstone


def run(engine: Engine, policy: RetentionPolicy | None = None, dry_run: bool = False, actor: str = "retention",
        now: datetime | None = None) -> dict:
    """Apply the policy once: what was (or, with ``dry_run``, would be) erased, and what is on hold.

    A dry run writes nothing, not even to the audit. A running ``central serve`` keeps an erased
    superseded version's templates in its 1:N gallery until it next starts (docs/security.md).
    """
    policy = policy or RetentionPolicy()
    due, held = due_records(engine, policy, now)
    erased = []
    for d in due:
        if dry_run:
            erased.append(d.as_json())
            continue
        tombstone = erase(engine, d, policy, actor)
        if tombstone is not None:
            erased.append(d.as_json() | {"files": tombstone["files"]})
    return {"dry_run": dry_run, "policy": asdict(policy), "erased": erased, "on_hold": held}
