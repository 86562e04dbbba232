"""The adjudicators' queue: possible duplicate identities and held re-enrollments, and their decisions.

A flag is work for a person, never a gate. Each flagged candidate of a search becomes one
item (both applications, each modality's score and the fused one); a re-enrollment held
because it does not match its application's current record (``store.intake``) becomes an
item of its own kind. An adjudicator decides *same person*, *different people* or *refer
for investigation*; the decision, who made it and when are kept on the item and in the
central audit, in one transaction. A pair with a decision is never queued again, nor is a
pair already waiting; *same person* links the two applications (and a later search of
either skips the other), and on a held re-enrollment it makes the held version current.

Every staff member's view of an item (what the back office shows beside both persons' photos and
prints) and every read of the two records' biometric files is written to the central audit, in
the transaction that reads them: who, which item, which applications and records, when
(UU 27/2022 asks a controller to account for each processing of specific personal data, which
biometrics are).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from . import db
from .staff import StaffMember, audit
from .store import CentralError, _aware, _files, now_utc

if TYPE_CHECKING:
    from matching.identification import SearchOutcome

DECISIONS = ("same_person", "different_people", "refer")
KINDS = ("possible_duplicate", "reenrollment_held")


def pair_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def linked(engine: Engine, application: str) -> set[str]:
    """Applications an adjudicator found to be the same person as ``application``."""
    with engine.begin() as conn:
        rows = conn.execute(select(db.application_links.c.linked)
                            .where(db.application_links.c.application == application)).all()
    return {r[0] for r in rows}


def queue_flags(engine: Engine, packet_id: str, application: str, outcome: SearchOutcome, fpir: float) -> list[int]:
    """An item per flagged candidate whose pair has no decision and no waiting item; their ids.

    Two central processes searching one person's two records at the same moment both flag the pair;
    the pair's unique index keeps the first item, and the other's insert is let go.
    """
    made = []
    with engine.begin() as conn:
        for c in outcome.flagged:
            pair = pair_key(application, c.person)
            t = db.adjudication_items
            if conn.execute(select(t.c.id).where(t.c.pair == pair, t.c.kind == "possible_duplicate")).first():
                continue
            other = conn.execute(select(db.records.c.packet_id)
                                 .where(db.records.c.application == c.person, db.records.c.status == "accepted")
                                 .order_by(db.records.c.received_at.desc()).limit(1)).first()
            scores = c.as_json() | {"gallery": outcome.gallery, "fpir": fpir}
            try:
                with conn.begin_nested():
                    made.append(conn.execute(db.adjudication_items.insert().values(
                        kind="possible_duplicate", packet_id=packet_id, application=application,
                        other_application=c.person, other_packet_id=other[0] if other else None, pair=pair,
                        scores=json.dumps(scores), created_at=now_utc())).inserted_primary_key[0])
            except IntegrityError:  # queued by the other central process a moment ago
                continue
    return made


def queue_held(conn, packet_id: str, application: str, current_packet: str | None, verification: dict) -> None:
    """The item for a held re-enrollment, in intake's own transaction (stored and queued together)."""
    conn.execute(db.adjudication_items.insert().values(
        kind="reenrollment_held", packet_id=packet_id, application=application, other_application=application,
        other_packet_id=current_packet, pair=f"{packet_id}|{current_packet}",
        scores=json.dumps(verification), created_at=now_utc()))


def _item_json(row) -> dict:
    return {"id": row.id, "kind": row.kind, "packet_id": row.packet_id, "application": row.application,
            "other_application": row.other_application, "other_packet_id": row.other_packet_id,
            "scores": json.loads(row.scores), "created_at": _aware(row.created_at).isoformat(),
            "decision": row.decision, "decided_by": row.decided_by,
            "decided_at": _aware(row.decided_at).isoformat() if row.decided_at else None}


def items(engine: Engine, state: str = "open", limit: int = 50, offset: int = 0) -> dict:
    """A page of the queue (``open``, ``decided`` or ``all``), oldest first, and the count."""
    t = db.adjudication_items
    where = {"open": t.c.decision.is_(None), "decided": t.c.decision.is_not(None)}.get(state)
    if state not in ("open", "decided", "all"):
        raise CentralError(422, "central.bad_queue_state", value=state)
    limit = max(1, min(int(limit), 200))
    query, count = select(t).order_by(t.c.id), select(func.count()).select_from(t)
    if where is not None:
        query, count = query.where(where), count.where(where)
    with engine.begin() as conn:
        rows = conn.execute(query.limit(limit).offset(max(0, int(offset)))).all()
        total = conn.execute(count).scalar_one()
    return {"items": [_item_json(r) for r in rows], "total": total}


def _view(conn, viewer: StaffMember, action: str, row) -> None:
    audit(conn, viewer.name, action, str(row.id), kind=row.kind, role=viewer.role,
          applications=[row.application, row.other_application],
          packets=[p for p in (row.packet_id, row.other_packet_id) if p])


def item(engine: Engine, item_id: int, viewer: StaffMember | None = None) -> dict:
    """One item of the queue; ``viewer``, the staff member it is shown to, is audited (``adjudication.view``).

    ``viewer`` is None only for the system's own reads (``decide`` answering with the decided item,
    whose decision is audited already); the back office's reads always name who looks.
    """
    with engine.begin() as conn:
        row = conn.execute(select(db.adjudication_items).where(db.adjudication_items.c.id == item_id)).first()
        if row is None:
            raise CentralError(404, "central.no_item", item=item_id)
        if viewer is not None:
            _view(conn, viewer, "adjudication.view", row)
    return _item_json(row)


def item_biometrics(engine: Engine, item_id: int, viewer: StaffMember) -> dict:
    """Both records of an item with their biometric files in clear (face record, prints, templates),
    for the back office's side-by-side comparison; audited (``adjudication.view_biometrics``) in the
    transaction that decrypts them, so no image leaves the central record without its entry.

    A record whose biometrics the retention policy erased comes back with no files and its tombstone.
    """
    import base64

    with engine.begin() as conn:
        row = conn.execute(select(db.adjudication_items).where(db.adjudication_items.c.id == item_id)).first()
        if row is None:
            raise CentralError(404, "central.no_item", item=item_id)
        records = {}
        for packet_id in (p for p in (row.packet_id, row.other_packet_id) if p):
            stored = conn.execute(select(db.records.c.application, db.records.c.manifest, db.records.c.erasure)
                                  .where(db.records.c.packet_id == packet_id)).first()
            if stored is None:
                continue
            files = _files(conn, packet_id)
            records[packet_id] = {"application": stored.application, "manifest": json.loads(stored.manifest),
                                  "files": {n: base64.b64encode(d).decode("ascii") for n, d in sorted(files.items())},
                                  "erased": json.loads(stored.erasure) if stored.erasure else None}
        _view(conn, viewer, "adjudication.view_biometrics", row)
    return {"item": _item_json(row), "records": records}


def decide(engine: Engine, item_id: int, decision: str, staff: StaffMember) -> dict:
    """Record ``staff``'s decision on an open item, with its consequences and its audit entry."""
    if staff.role != "adjudicator":
        raise CentralError(403, "central.adjudicators_only", name=staff.name)
    if decision not in DECISIONS:
        raise CentralError(422, "central.bad_decision", value=decision, known=", ".join(DECISIONS))
    t = db.adjudication_items
    with engine.begin() as conn:
        at = now_utc()
        done = conn.execute(update(t).where(t.c.id == item_id, t.c.decision.is_(None))
                            .values(decision=decision, decided_by=staff.name, decided_at=at)).rowcount
        row = conn.execute(select(t).where(t.c.id == item_id)).first()
        if row is None:
            raise CentralError(404, "central.no_item", item=item_id)
        if not done:
            raise CentralError(409, "central.already_decided", item=item_id, decision=row.decision,
                               by=row.decided_by)
        if decision == "same_person" and row.kind == "possible_duplicate":
            conn.execute(db.application_links.insert(), [
                {"application": a, "linked": b, "item_id": item_id, "created_at": at}
                for a, b in ((row.application, row.other_application), (row.other_application, row.application))])
        if decision == "same_person" and row.kind == "reenrollment_held":
            conn.execute(update(db.records).where(db.records.c.packet_id == row.packet_id)
                         .values(status="accepted", hold_reason=None, accepted_at=at))
        audit(conn, staff.name, "adjudication.decide", str(item_id), decision=decision, kind=row.kind,
              applications=[row.application, row.other_application])
    return item(engine, item_id)


def audit_entries(engine: Engine, subject: str | None = None) -> list[dict]:
    t = db.central_audit
    query = select(t).order_by(t.c.id)
    if subject is not None:
        query = query.where(t.c.subject == subject)
    with engine.begin() as conn:
        rows = conn.execute(query).all()
    return [{"at": _aware(r.at).isoformat(), "actor": r.actor, "action": r.action, "subject": r.subject,
             "detail": json.loads(r.detail) if r.detail else None} for r in rows]


# -- the back office's side-by-side comparison ------------------------------------------------------
SIDES = ("new", "earlier")  # the item's own record (the search's probe, or the held version), the other one
FACE_FILE = "face.iso19794-5"


def _side_packets(row) -> dict[str, str | None]:
    return {"new": row.packet_id, "earlier": row.other_packet_id}


def _side(conn, packet_id: str | None, application: str) -> dict:
    """What the comparison page shows of one record, without opening its files: the applicant, when it
    arrived, whether it has a face, which fingers, and whether retention erased its biometrics."""
    person = conn.execute(select(db.applications.c.given_name, db.applications.c.surname,
                                 db.applications.c.birth_date)
                          .where(db.applications.c.number == application)).first()
    shown = {"application": application, "packet_id": packet_id,
             "given_name": person.given_name if person else None, "surname": person.surname if person else None,
             "birth_date": person.birth_date if person else None,
             "received_at": None, "face": False, "fingers": [], "erased": False}
    if packet_id is None:
        return shown
    stored = conn.execute(select(db.records.c.manifest, db.records.c.received_at, db.records.c.erasure)
                          .where(db.records.c.packet_id == packet_id)).first()
    if stored is None:
        return shown
    manifest = json.loads(stored.manifest)
    shown.update(received_at=_aware(stored.received_at).isoformat(), erased=stored.erasure is not None,
                 face=not stored.erasure and bool((manifest.get("face") or {}).get("record")),
                 fingers=[] if stored.erasure else sorted(
                     {int(f["position"]): f.get("finger") for f in manifest.get("fingers", [])
                      if isinstance(f, dict) and f.get("image") and isinstance(f.get("position"), int)}.items()))
    return shown


def item_sides(engine: Engine, item_id: int, viewer: StaffMember) -> dict:
    """One item with both records as the comparison page lays them out (``new`` and ``earlier``); the
    view is audited (``adjudication.view``). The images themselves come one by one from :func:`item_file`."""
    with engine.begin() as conn:
        row = conn.execute(select(db.adjudication_items).where(db.adjudication_items.c.id == item_id)).first()
        if row is None:
            raise CentralError(404, "central.no_item", item=item_id)
        sides = {"new": _side(conn, row.packet_id, row.application),
                 "earlier": _side(conn, row.other_packet_id, row.other_application)}
        _view(conn, viewer, "adjudication.view", row)
    return {"item": _item_json(row), "sides": sides}


def item_file(engine: Engine, item_id: int, side: str, position: int, viewer: StaffMember) -> bytes:
    """One biometric file of one side of an item, in clear: the face record (``position`` 0) or the image
    of the finger at ISO ``position``; each read audited (``adjudication.view_biometrics``, naming the
    side, the record and the file) in the transaction that decrypts it. 404 when the record has no such
    file (never enrolled, or erased by retention)."""
    if side not in SIDES:
        raise CentralError(404, "central.no_item", item=item_id)
    with engine.begin() as conn:
        row = conn.execute(select(db.adjudication_items).where(db.adjudication_items.c.id == item_id)).first()
        if row is None:
            raise CentralError(404, "central.no_item", item=item_id)
        packet_id = _side_packets(row)[side]
        shown = _side(conn, packet_id, row.application if side == "new" else row.other_application)
        if position == 0 and shown["face"]:
            name = FACE_FILE
        elif any(p == position for p, _finger in shown["fingers"]):
            manifest = json.loads(conn.execute(select(db.records.c.manifest)
                                               .where(db.records.c.packet_id == packet_id)).scalar_one())
            name = next(f["image"] for f in manifest["fingers"] if f.get("position") == position and f.get("image"))
        else:
            raise CentralError(404, "central.no_item", item=item_id)
        data = _files(conn, packet_id).get(name)
        if data is None:
            raise CentralError(404, "central.no_item", item=item_id)
        audit(conn, viewer.name, "adjudication.view_biometrics", str(row.id), kind=row.kind, role=viewer.role,
              side=side, packet=packet_id, file=name,
              applications=[row.application, row.other_application])
    return data
