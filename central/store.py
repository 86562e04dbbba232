"""What the central record does with its database: applications, stations, intake, listings.

Plain functions over an engine, so the HTTP service, the command line and tests share
them. Intake is one transaction: a packet is stored with all its files, or not at all.

A record is stored only with the biometrics the central record's minimum asks for (a usable
face or at least one usable finger template, and the fingers its declared policy requires
unless it declares an exception for them), since a packet is only as trustworthy as the
registered station that signed it. Every version of an application's record is kept; the
newest *accepted* one is the application's current version, what ``/templates`` (and so
every verification) serves. The first version is accepted; a later one only when it matches
the current one 1:1 (``duplicates.compare_versions``), otherwise it is stored *held* for an
adjudicator, with the reason, and the current version stays. The matching modules load only
when a packet is checked, so the administrative commands start without them.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from domain.applications import SERVICES, new_number
from domain.errors import BiostationError
from domain.fingers import FingerPosition

from . import db
from .wire import OpenedPacket, PacketError, private_bytes

FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_FILES = 40


class CentralError(BiostationError, ValueError):
    """A request the central record refuses; carries the HTTP status and catalog id."""

    def __init__(self, status: int, message_id: str, **params: object) -> None:
        super().__init__(message_id, **params)
        self.status = status


def now_utc() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite hands datetimes back naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- identity --------------------------------------------------------------------------------
def central_key(engine: Engine) -> X25519PrivateKey:
    """The central record's X25519 key, created on first use and kept in its database."""
    with engine.begin() as conn:
        row = conn.execute(select(db.identity.c.private_key).where(db.identity.c.id == 1)).first()
        if row is None:
            key = X25519PrivateKey.generate()
            try:
                conn.execute(db.identity.insert().values(id=1, private_key=private_bytes(key)))
                return key
            except IntegrityError:
                row = conn.execute(select(db.identity.c.private_key)).first()
        return X25519PrivateKey.from_private_bytes(row[0])


# -- applications ----------------------------------------------------------------------------
def clean_name(value: str, field: str) -> str:
    """A person's name as typed online: letters, spaces, ' - . only; no control characters."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text or len(text) > 100 or not all(c.isalpha() or c in " '-.," for c in text):
        raise CentralError(422, "central.bad_name", field=field)
    return text


def add_application(engine: Engine, given_name: str, surname: str, birth_date: str, service: str,
                    appointment_at: datetime | None = None) -> str:
    """Register an online application; returns its number (service letter, date, six digits)."""
    given, family = clean_name(given_name, "given_name"), clean_name(surname, "surname")
    try:
        born = date.fromisoformat(birth_date)
    except (TypeError, ValueError) as exc:
        raise CentralError(422, "central.bad_birth_date", value=birth_date) from exc
    if born > date.today() or born.year < 1900:
        raise CentralError(422, "central.bad_birth_date", value=birth_date)
    if service not in SERVICES:
        raise CentralError(422, "central.bad_service", value=service, known=", ".join(SERVICES))
    when = appointment_at or now_utc()
    if when.tzinfo is None:
        raise CentralError(422, "central.naive_time", value=when.isoformat())
    for _ in range(20):
        number = new_number(service, now_utc())
        try:
            with engine.begin() as conn:
                conn.execute(db.applications.insert().values(
                    number=number, given_name=given, surname=family, birth_date=born.isoformat(),
                    service=service, appointment_at=when.astimezone(UTC), created_at=now_utc()))
            return number
        except IntegrityError:
            continue
    raise CentralError(503, "central.busy")


def _application_row(row) -> dict:
    return {"number": row.number, "given_name": row.given_name, "surname": row.surname,
            "birth_date": row.birth_date, "service": row.service,
            "appointment_at": _aware(row.appointment_at).isoformat()}


def get_application(engine: Engine, number: str) -> dict:
    with engine.begin() as conn:
        row = conn.execute(select(db.applications).where(db.applications.c.number == number)).first()
    if row is None:
        raise CentralError(404, "central.no_application", number=number)
    return _application_row(row)


def appointments_on(engine: Engine, day: date, zone: str) -> list[dict]:
    """Applications with an appointment on ``day`` in the station's time zone."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time.min, tz).astimezone(UTC)
    end = start + timedelta(days=1)
    with engine.begin() as conn:
        rows = conn.execute(select(db.applications)
                            .where(db.applications.c.appointment_at >= start,
                                   db.applications.c.appointment_at < end)
                            .order_by(db.applications.c.appointment_at)).all()
    return [_application_row(r) for r in rows]


# -- stations --------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(engine: Engine, name: str) -> str:
    """A one-time registration token for a station called ``name``; only its hash is kept."""
    if not name.strip() or len(name) > 100:
        raise CentralError(422, "central.bad_station_name")
    # the prefix names what the string is, and keeps it from starting with "-": one
    # token in 64 from token_urlsafe does, and the command line then reads
    # ``--token -x…`` as a missing argument
    token = "bst_" + secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(db.station_tokens.insert().values(token_hash=_token_hash(token), name=name.strip(),
                                                       created_at=now_utc()))
    return token


def register_station(engine: Engine, token: str, public_key: bytes) -> tuple[str, str]:
    """Spend a token, remember the station's Ed25519 key; returns (station id, name)."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError as exc:
        raise CentralError(400, "central.bad_station_key") from exc
    with engine.begin() as conn:
        row = conn.execute(select(db.station_tokens)
                           .where(db.station_tokens.c.token_hash == _token_hash(token))).first()
        if row is None or row.used_at is not None:
            raise CentralError(403, "central.bad_token")
        station_id = secrets.token_hex(8)
        conn.execute(db.station_tokens.update().where(db.station_tokens.c.token_hash == row.token_hash)
                     .values(used_at=now_utc()))
        conn.execute(db.stations.insert().values(station_id=station_id, name=row.name,
                                                 public_key=public_key, registered_at=now_utc()))
    return station_id, row.name


def station_keys(engine: Engine) -> dict[str, Ed25519PublicKey]:
    with engine.begin() as conn:
        rows = conn.execute(select(db.stations.c.station_id, db.stations.c.public_key)).all()
    return {r.station_id: Ed25519PublicKey.from_public_bytes(r.public_key) for r in rows}


# -- intake ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Intake:
    status: str  # "stored" | "already_received"
    packet_id: str
    application: str
    record_status: str = "accepted"  # "accepted" | "held" (the version check's outcome, when stored)
    hold_reason: str | None = None  # catalog id when held


def validate(opened: OpenedPacket, production: bool) -> dict:
    """The manifest's promises checked against the header and the files it lists."""
    m = opened.content.manifest
    h = opened.header
    if m.get("packet_id") != h.packet_id or m.get("station_id") != h.station_id:
        raise PacketError(400, "central.packet_mismatch")
    if not isinstance(m.get("application"), str) or not isinstance(m.get("devices"), list):
        raise PacketError(400, "central.packet_malformed", reason="manifest lacks application or devices")
    listed = m.get("files")
    files = opened.content.files
    if not isinstance(listed, dict) or set(listed) != set(files) or len(files) > MAX_FILES:
        raise PacketError(400, "central.packet_malformed", reason="file list does not match")
    for name, data in files.items():
        if not FILE_NAME.match(name) or hashlib.sha256(data).hexdigest() != listed[name]:
            raise PacketError(400, "central.packet_malformed", reason=f"file {name!r}")
    emulated = any(bool(d.get("emulated")) for d in m["devices"] if isinstance(d, dict))
    if production and emulated:
        raise PacketError(422, "central.emulated_in_production")
    require_biometrics(m, files)
    return m


def _positions(value: object) -> set[int]:
    """ISO finger positions from a manifest list of numbers or slugs ("right-index")."""
    if not isinstance(value, list):
        raise PacketError(400, "central.packet_malformed", reason="finger list")
    found = set()
    for item in value:
        try:
            found.add(int(FingerPosition.from_slug(item) if isinstance(item, str) else FingerPosition(item)))
        except (TypeError, ValueError) as exc:
            raise PacketError(400, "central.packet_malformed", reason=f"finger {item!r}") from exc
    return found


def require_biometrics(manifest: dict, files: dict[str, bytes]) -> None:
    """The central minimum: a usable face or finger, every template readable, the policy's fingers.

    A face counts when the manifest gives its 128 finite embedding values and its record file;
    a finger when its ISO/IEC 19794-2 template decodes within the reader's bounds and names the
    position the manifest gives it. A template that does not is refused (422), not skipped:
    skipping would store a record that verification and the 1:N search then quietly lack.
    When the manifest declares its policy's fingers (``policy.fingers``), each must be present
    or covered by an exception (``exceptions[].position``).
    """
    from matching.fingerprint.iso19794_2 import FingerprintRecordError, decode_record

    from .duplicates import face_embedding

    face = manifest.get("face")
    if face is not None and (not isinstance(face, dict) or face_embedding(manifest) is None
                             or not isinstance(face.get("record"), str) or face.get("record") not in files):
        raise PacketError(422, "central.bad_face")
    fingers = manifest.get("fingers") or []
    if not isinstance(fingers, list):
        raise PacketError(400, "central.packet_malformed", reason="fingers")
    present: set[int] = set()
    for finger in fingers:
        name = finger.get("template") if isinstance(finger, dict) else None
        if not isinstance(name, str) or name not in files:
            raise PacketError(400, "central.packet_malformed", reason="finger without its template")
        (position,) = _positions([finger.get("position")])
        slug = FingerPosition(position).slug
        try:
            _template, coded = decode_record(files[name])
        except FingerprintRecordError as exc:
            raise PacketError(422, "central.bad_template", finger=slug, problem=exc.message_id) from exc
        if coded != position or position in present:
            raise PacketError(422, "central.bad_template", finger=slug, problem="position")
        present.add(position)
    if face is None and not present:
        raise PacketError(422, "central.no_biometrics")
    policy = manifest.get("policy")
    if isinstance(policy, dict) and "fingers" in policy:
        exceptions = manifest.get("exceptions") or []
        if not isinstance(exceptions, list):
            raise PacketError(400, "central.packet_malformed", reason="exceptions")
        excused = _positions([e["position"] for e in exceptions if isinstance(e, dict) and "position" in e])
        missing = sorted(_positions(policy["fingers"]) - present - excused)
        if missing:
            raise PacketError(422, "central.fingers_missing", positions=", ".join(map(str, missing)))


def _current(conn, application: str):
    """The application's current version: its newest accepted record (packet id, manifest), or None."""
    return conn.execute(select(db.records.c.packet_id, db.records.c.manifest)
                        .where(db.records.c.application == application, db.records.c.status == "accepted")
                        .order_by(db.records.c.received_at.desc(), db.records.c.packet_id)).first()


def _files(conn, packet_id: str) -> dict[str, bytes]:
    rows = conn.execute(select(db.record_files.c.name, db.record_files.c.data)
                        .where(db.record_files.c.packet_id == packet_id)).all()
    return {f.name: f.data for f in rows}


def _check_version(engine: Engine, packet_id: str, application: str, manifest: dict, files: dict[str, bytes]):
    """(packet id of the current version or None, the 1:1 check against it or None).

    Run before intake's transaction, so a comparison never holds the database's write lock;
    intake stores the outcome only if the current version is still the one compared with.
    """
    with engine.begin() as conn:
        if conn.execute(select(db.records.c.packet_id).where(db.records.c.packet_id == packet_id)).first():
            return None, None  # already stored: intake answers "already received"
        row = _current(conn, application)
        if row is None:
            return None, None
        current_files = _files(conn, row.packet_id)
    from .duplicates import compare_versions

    return row.packet_id, compare_versions((json.loads(row.manifest), current_files), (manifest, files))


def intake(engine: Engine, opened: OpenedPacket, production: bool = False) -> Intake:
    """Store a verified packet exactly once; the same id with other content is a conflict.

    Where the station's audit chain stood when it sealed the packet is kept in the intake log
    ("audit_head": seq, head, time); a re-anchor new since the station's previous packet is logged
    ("audit_reanchored"), and a head that went backwards ("audit_seq_backwards": a packet sealed
    later at a lower seq, as from a log emptied or cut) is a security event there.
    """
    manifest = validate(opened, production)
    pid = opened.header.packet_id
    application = manifest["application"]

    def note_audit_head(conn) -> None:
        seq, head, at = manifest.get("audit_seq"), manifest.get("audit_head"), manifest.get("audit_at")
        try:
            sealed_at = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            return  # a station that does not say where its chain stands
        if not isinstance(seq, int) or not isinstance(head, str) or sealed_at.tzinfo is None:
            return
        station, events = opened.header.station_id, [("audit_head", {"seq": seq, "head": head, "at": at})]
        row = conn.execute(select(db.intake_log.c.detail).where(
            db.intake_log.c.station_id == station, db.intake_log.c.outcome == "audit_head")
            .order_by(db.intake_log.c.id.desc()).limit(1)).first()
        try:
            before = json.loads(row.detail) if row else None
            before_at = datetime.fromisoformat(before["at"]) if before else None
        except (TypeError, ValueError, KeyError):
            before, before_at = None, None
        anchor = manifest.get("audit_reanchor")
        if isinstance(anchor, dict):
            try:  # a naive time cannot be compared: taken as new
                new_anchor = before_at is None or datetime.fromisoformat(anchor["at"]) > before_at
            except (TypeError, ValueError, KeyError):
                new_anchor = True
            if new_anchor:
                events.append(("audit_reanchored", {k: anchor.get(k) for k in (
                    "seq", "at", "actor", "hash", "old_seq", "old_head", "finding", "remembered")}))
        if before is not None and seq < int(before.get("seq", 0)) and sealed_at > before_at:
            events.append(("audit_seq_backwards", {"seq": seq, "head": head, "at": at, "previous_seq": before["seq"],
                                                   "previous_head": before.get("head"), "previous_at": before["at"]}))
        conn.execute(db.intake_log.insert(), [
            {"at": now_utc(), "station_id": station, "packet_id": pid, "outcome": outcome,
             "detail": json.dumps(detail, sort_keys=True)[:2000]} for outcome, detail in events])
    for _ in range(3):
        against, check = _check_version(engine, pid, application, manifest, opened.content.files)
        with engine.begin() as conn:
            existing = conn.execute(select(db.records.c.digest).where(db.records.c.packet_id == pid)).first()
            if existing is not None:
                if existing.digest != opened.digest:
                    raise PacketError(409, "central.packet_conflict", packet=pid)
                return Intake("already_received", pid, application)
            # the row lock orders two versions of one application arriving at once (PostgreSQL;
            # SQLite's BEGIN IMMEDIATE already does), so the later one sees the earlier as current
            known = conn.execute(select(db.applications.c.number)
                                 .where(db.applications.c.number == application).with_for_update()).first()
            if known is None:
                raise PacketError(422, "central.no_application", number=application)
            current = _current(conn, application)
            if (current.packet_id if current else None) != against:
                continue  # another version became current while this one was compared: compare again
            held = check is not None and not check.accepted
            try:
                conn.execute(db.records.insert().values(
                    packet_id=pid, application=application, station_id=opened.header.station_id,
                    digest=opened.digest, received_at=now_utc(),
                    manifest=json.dumps(manifest, sort_keys=True, ensure_ascii=False),
                    emulated=any(bool(d.get("emulated")) for d in manifest["devices"] if isinstance(d, dict)),
                    status="held" if held else "accepted", hold_reason=check.reason if held else None,
                    verification=None if check is None else json.dumps(dict(check.as_json(), against=against))))
                conn.execute(db.record_files.insert(), [
                    {"packet_id": pid, "name": n, "data": d} for n, d in sorted(opened.content.files.items())])
                note_audit_head(conn)
            except IntegrityError:  # a concurrent delivery of the same packet won the race
                continue
        return Intake("stored", pid, application, "held" if held else "accepted", check.reason if held else None)
    raise PacketError(503, "central.busy")


def log_intake(engine: Engine, outcome: str, station_id: str | None, packet_id: str | None,
               detail: str = "") -> None:
    with engine.begin() as conn:
        conn.execute(db.intake_log.insert().values(at=now_utc(), station_id=station_id, packet_id=packet_id,
                                                   outcome=outcome, detail=detail[:2000]))


def intake_events(engine: Engine) -> list[dict]:
    with engine.begin() as conn:
        rows = conn.execute(select(db.intake_log).order_by(db.intake_log.c.id)).all()
    return [{"at": _aware(r.at).isoformat(), "station_id": r.station_id, "packet_id": r.packet_id,
             "outcome": r.outcome, "detail": r.detail} for r in rows]


def add_flags(engine: Engine, packet_id: str, found: list[tuple[str, str, float]]) -> None:
    if not found:
        return
    with engine.begin() as conn:
        conn.execute(db.flags.insert(), [
            {"packet_id": packet_id, "other_application": other, "modality": modality, "score": score,
             "created_at": now_utc()} for other, modality, score in found])


def list_records(engine: Engine) -> list[dict]:
    with engine.begin() as conn:
        rows = conn.execute(select(db.records.c.packet_id, db.records.c.application, db.records.c.station_id,
                                   db.records.c.received_at, db.records.c.emulated, db.records.c.status,
                                   db.records.c.hold_reason, db.records.c.verification)
                            .order_by(db.records.c.received_at)).all()
        flag_rows = conn.execute(select(db.flags)).all()
    by_packet: dict[str, list[dict]] = {}
    for f in flag_rows:
        by_packet.setdefault(f.packet_id, []).append(
            {"other_application": f.other_application, "modality": f.modality, "score": round(f.score, 4)})
    return [{"application": r.application, "packet_id": r.packet_id, "station_id": r.station_id,
             "received_at": _aware(r.received_at).isoformat(), "emulated": bool(r.emulated),
             "status": r.status, "hold_reason": r.hold_reason,
             "verification": json.loads(r.verification) if r.verification else None,
             "flags": by_packet.get(r.packet_id, [])} for r in rows]


def record_count(engine: Engine) -> int:
    with engine.begin() as conn:
        return int(conn.execute(select(func.count()).select_from(db.records)).scalar_one())


def packet_status(engine: Engine, packet_id: str) -> str | None:
    with engine.begin() as conn:
        row = conn.execute(select(db.records.c.packet_id).where(db.records.c.packet_id == packet_id)).first()
    return "stored" if row else None


def record_status(engine: Engine, packet_id: str) -> tuple[str, str | None] | None:
    """(accepted | held, the hold's catalog id) of a stored packet; None when not stored."""
    with engine.begin() as conn:
        row = conn.execute(select(db.records.c.status, db.records.c.hold_reason)
                           .where(db.records.c.packet_id == packet_id)).first()
    return (row.status, row.hold_reason) if row else None


def latest_record(engine: Engine, application: str) -> tuple[dict, dict[str, bytes]] | None:
    """The application's current version (its newest accepted record): manifest and files.

    What verification reads (``/templates``); a held version never is, however new.
    """
    with engine.begin() as conn:
        row = _current(conn, application)
        if row is None:
            return None
        files = _files(conn, row.packet_id)
    return json.loads(row.manifest), files


def all_records(engine: Engine):
    """Every stored record's manifest and files, oldest first (builds the 1:N galleries)."""
    with engine.begin() as conn:
        rows = conn.execute(select(db.records.c.packet_id, db.records.c.manifest)
                            .order_by(db.records.c.received_at)).all()
    for r in rows:
        with engine.begin() as conn:
            files = conn.execute(select(db.record_files.c.name, db.record_files.c.data)
                                 .where(db.record_files.c.packet_id == r.packet_id)).all()
        yield r.packet_id, json.loads(r.manifest), {f.name: f.data for f in files}


def add_feedback(engine: Engine, application: str, stars: int, comment: str) -> None:
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise CentralError(422, "central.bad_stars")
    if not isinstance(comment, str) or len(comment) > 2000:
        raise CentralError(422, "central.bad_comment")
    with engine.begin() as conn:
        conn.execute(db.feedback.insert().values(application=application, stars=stars, comment=comment,
                                                 at=now_utc()))
