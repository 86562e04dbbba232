"""What the central record does with its database: applications, stations, intake, listings.

Plain functions over an engine, so the HTTP service, the command line and tests share
them. Intake is one transaction: a packet is stored with all its files, or not at all.

A record is stored only with the biometrics the central record's minimum asks for (a usable
face or at least one usable finger template, and the fingers its declared policy requires
unless it declares an exception for them), since a packet is only as trustworthy as the
registered station that signed it. Every version of an application's record is kept; the
newest *accepted* one is the application's current version, what ``/templates`` (and so
every verification) serves. The first version is accepted; a later one only when it matches
the current one 1:1 (``versions.compare_versions``), otherwise it is stored *held* for an
adjudicator, with the reason, and the current version stays. The matching modules load only
when a packet is checked, so the administrative commands start without them.

A record's files are stored encrypted under a data key of their own, wrapped by a key the
database does not hold (``central.keys``; the wrapped key is the reserved file row
:data:`RECORD_KEY`); every reader gets them through :func:`_files`, in clear.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError

from domain.applications import SERVICES, check_appointment, check_name, new_number, parse_birth_date
from domain.errors import BiostationError
from domain.fingers import FingerPosition

from . import db
from . import keys as central_keys
from .wire import OpenedPacket, PacketError, check_format, private_bytes

log = logging.getLogger("biostation.central")
FILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
MAX_FILES = 40
# a station registration token is spent within this long of its making, or not at all: one written on
# a note and lost stays useless, and an installer who needs longer asks for a new one
TOKEN_VALID = timedelta(hours=72)


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


# -- identity and keys ------------------------------------------------------------------------
RECORD_KEY = "_key"
"""The ``record_files`` row that holds a record's wrapped data key (``central.keys.seal_files``).

A reserved file name rather than a column: packet file names must match ``FILE_NAME``, which no
name starting with "_" does, so it never collides with a station's file; it needs no schema change
(no revision to order against others); it is written in the same insert as the files it opens, so
a record is never stored with files and no key; and a record without it is one stored in clear
before envelope encryption, which still reads. Every reader goes through :func:`_files`, which
takes it out and decrypts.
"""


def _keys(engine: Engine, conn=None) -> central_keys.CentralKeys:
    """The engine's keys, loaded (and made, or moved out of an old database) on first use.

    Loading is idempotent (a key file is published only if none exists; deleting the old row twice
    deletes nothing), so two threads or processes loading at once agree without a lock; ``conn``,
    when given, is the caller's transaction, so a reader never waits on a second one.
    """
    keys = central_keys.for_engine(engine)
    if keys.loaded:
        return keys
    if conn is None:
        with engine.begin() as own:
            _load_keys(keys, own)
    else:
        _load_keys(keys, conn)
    return keys


def _load_keys(keys: central_keys.CentralKeys, conn) -> None:
    """Read or create the transport key and the KEK; move a key an older release kept in the database.

    Refuses to make new keys for a database that holds records made with old ones (the key
    directory was lost, or ``--keys`` points elsewhere: new keys would open nothing), and checks
    that the KEK opens the data key of a sealed record, so a wrong KEK stops the start with a clear
    error instead of failing on each record later.
    """
    directory = keys.directory
    query = select(db.identity.c.private_key).where(db.identity.c.id == 1)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    raw = directory.read(central_keys.TRANSPORT_FILE)
    if raw is None and row is not None:
        raw = directory.create(central_keys.TRANSPORT_FILE, bytes(row.private_key))
        log.warning("the central record's private key moved out of its database into %s", directory)
    elif raw is None:
        if conn.execute(select(db.records.c.packet_id).limit(1)).first() is not None:
            raise central_keys.KeysError("central.keys_missing", directory=directory,
                                         file=central_keys.TRANSPORT_FILE)
        raw = directory.create(central_keys.TRANSPORT_FILE, private_bytes(X25519PrivateKey.generate()))
    if row is not None:
        if bytes(row.private_key) != raw:
            raise central_keys.KeysError("central.key_conflict", directory=directory)
        conn.execute(db.identity.delete())
    try:
        transport = X25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise central_keys.KeysError("central.key_file_damaged", directory=directory,
                                     file=central_keys.TRANSPORT_FILE) from exc
    sealed = conn.execute(select(db.record_files.c.packet_id, db.record_files.c.data)
                          .where(db.record_files.c.name == RECORD_KEY).limit(1)).first()
    wrapper = keys.wrapper
    if wrapper is None:
        kek = directory.read(central_keys.KEK_FILE)
        if kek is None:
            if sealed is not None:
                raise central_keys.KeysError("central.keys_missing", directory=directory,
                                             file=central_keys.KEK_FILE)
            kek = directory.create(central_keys.KEK_FILE, secrets.token_bytes(32))
        if len(kek) != 32:
            raise central_keys.KeysError("central.key_file_damaged", directory=directory,
                                         file=central_keys.KEK_FILE)
        wrapper = central_keys.LocalKek(kek)
    if sealed is not None:
        central_keys.open_files(wrapper, sealed.packet_id, bytes(sealed.data), {})
    with keys.lock:
        keys.transport, keys.wrapper, keys.loaded = transport, wrapper, True


def record_wrapper(engine: Engine) -> central_keys.KeyWrapper:
    """What wraps the records' data keys (the KEK in the key directory, or an HSM/KMS)."""
    return _keys(engine).wrapper


def erased_packets(engine: Engine) -> set[str]:
    """The records whose biometrics retention has erased (``central.retention``)."""
    r = db.records.c
    with engine.connect() as conn:
        return {row.packet_id for row in conn.execute(select(r.packet_id).where(r.erased_at.is_not(None)))}


def central_key(engine: Engine) -> X25519PrivateKey:
    """The central record's X25519 key, from its key directory (``central.keys``), made on first use."""
    return _keys(engine).transport


# -- applications ----------------------------------------------------------------------------
# what may stand between a name's letters: spaces, dots, commas, apostrophes (typed ', or the typographic
# U+2019 and U+02BC), hyphens (typed -, or U+2010 and the non-breaking U+2011), and the zero-width
# (non-)joiners some scripts need (Persian, Indic)
NAME_PUNCTUATION = frozenset(" '.,-\u2019\u02bc\u2010\u2011\u200c\u200d")


def _name_character(c: str) -> bool:
    """A letter of any script, a combining mark (Devanagari's vowel signs, Thai's tones) or :data:`NAME_PUNCTUATION`."""
    return c.isalpha() or unicodedata.category(c).startswith("M") or c in NAME_PUNCTUATION


def clean_name(value: str, field: str) -> str:
    """A person's name as typed online: letters and marks of any script, spaces, ' - . only; no control characters."""
    text = unicodedata.normalize("NFC", (value or "").strip())
    if not text or len(text) > 100 or not all(_name_character(c) for c in text):
        raise CentralError(422, "central.bad_name", field=field)
    _refused_as_422(check_name, text)  # punctuation alone ("...") is not a name
    return text


def _refused_as_422(check, *args):
    """``check(*args)``; an applicant's mistake it finds (``domain.applications``) answered 422."""
    try:
        return check(*args)
    except CentralError:
        raise
    except BiostationError as exc:
        raise CentralError(422, exc.message_id, **exc.params) from exc


def add_application(engine: Engine, given_name: str, surname: str, birth_date: str, service: str,
                    appointment_at: datetime | None = None, office: str | None = None) -> str:
    """Register an application as staff do (the portal books through ``central.offices``); returns its
    number (service letter, date, six digits). ``office`` names the office (default: the default one);
    staff may place an appointment off the slot grid or past a slot's capacity (a walk-in)."""
    from .offices import office_named

    office_id = None
    if office:
        office_id = office_named(engine, office).id
    given, family = clean_name(given_name, "given_name"), clean_name(surname, "surname")
    born = _refused_as_422(parse_birth_date, birth_date, date.today())
    if service not in SERVICES:
        raise CentralError(422, "central.bad_service", value=service, known=", ".join(SERVICES))
    when = appointment_at or now_utc()
    if when.tzinfo is None:
        raise CentralError(422, "central.naive_time", value=when.isoformat())
    _refused_as_422(check_appointment, when, now_utc())
    for _ in range(20):
        number = new_number(service, now_utc())
        try:
            with engine.begin() as conn:
                conn.execute(db.applications.insert().values(
                    number=number, given_name=given, surname=family, birth_date=born.isoformat(),
                    service=service, appointment_at=when.astimezone(UTC), created_at=now_utc(),
                    office_id=office_id))
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


# -- what a station may read: the applications of its own office -------------------------------------
def station_scope(conn, station_id: str) -> int | None:
    """The id of the office whose applications ``station_id`` may read and enroll: its registration's
    (``station-token --office``), else the default (oldest) office; None while there is no office."""
    own = conn.execute(select(db.stations.c.office_id).where(db.stations.c.station_id == station_id)).scalar()
    return own if own is not None else conn.execute(select(func.min(db.offices.c.id))).scalar()


def in_scope(conn, application_office: int | None, station_id: str) -> bool:
    """Whether an application of ``application_office`` (None: the default office's) is the station's."""
    scope = station_scope(conn, station_id)
    if scope is None:
        return True
    if application_office is None:
        application_office = conn.execute(select(func.min(db.offices.c.id))).scalar()
    return application_office == scope


def application_for_station(engine: Engine, number: str, station_id: str, cancelled_ok: bool = False) -> dict:
    """An application as ``station_id`` may see it: one of another office answers exactly as an unknown
    number (404), so a station cannot learn who applied elsewhere; a cancelled one is refused (409)
    unless ``cancelled_ok``, so the kiosk and the console do not check in a booking the applicant gave up."""
    with engine.begin() as conn:
        row = conn.execute(select(db.applications).where(db.applications.c.number == number)).first()
        if row is None or not in_scope(conn, row.office_id, station_id):
            raise CentralError(404, "central.no_application", number=number)
    if row.status == "cancelled" and not cancelled_ok:
        raise CentralError(409, "central.application_cancelled", number=number)
    return _application_row(row)


def appointments_on(engine: Engine, day: date, zone: str, office=None) -> list[dict]:
    """Booked (not cancelled) applications with an appointment on ``day`` in ``zone``; with ``office``
    (a ``central.offices.Office``) only that office's, the default office's including those with none."""
    from .offices import of_office

    tz = ZoneInfo(zone)
    start = datetime.combine(day, time.min, tz).astimezone(UTC)
    end = start + timedelta(days=1)
    a = db.applications.c
    with engine.begin() as conn:
        where = [a.appointment_at >= start, a.appointment_at < end, a.status == "booked"]
        if office is not None:
            where.append(of_office(office, conn))
        rows = conn.execute(select(db.applications).where(*where).order_by(a.appointment_at)).all()
    return [_application_row(r) for r in rows]


# -- stations --------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(engine: Engine, name: str, office: str | None = None) -> str:
    """A one-time registration token for a station called ``name`` serving ``office`` (its name; none:
    the default office, whichever it is when the station asks); only the token's hash is kept."""
    if not name.strip() or len(name) > 100:
        raise CentralError(422, "central.bad_station_name")
    office_id = None
    if office:
        from .offices import office_named

        office_id = office_named(engine, office).id
    # the prefix names what the string is, and keeps it from starting with "-": one
    # token in 64 from token_urlsafe does, and the command line then reads
    # ``--token -x…`` as a missing argument
    token = "bst_" + secrets.token_urlsafe(24)
    with engine.begin() as conn:
        conn.execute(db.station_tokens.insert().values(token_hash=_token_hash(token), name=name.strip(),
                                                       created_at=now_utc(), office_id=office_id))
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
        if now_utc() - _aware(row.created_at) > TOKEN_VALID:
            raise CentralError(403, "central.token_expired", hours=int(TOKEN_VALID.total_seconds() // 3600))
        station_id = secrets.token_hex(8)
        # spent only if still unspent: two registrations racing with one token, one wins
        spent = conn.execute(db.station_tokens.update()
                             .where(db.station_tokens.c.token_hash == row.token_hash,
                                    db.station_tokens.c.used_at.is_(None))
                             .values(used_at=now_utc()))
        if spent.rowcount != 1:
            raise CentralError(403, "central.bad_token")
        conn.execute(db.stations.insert().values(station_id=station_id, name=row.name, office_id=row.office_id,
                                                 public_key=public_key, registered_at=now_utc()))
    return station_id, row.name


def station_office(engine: Engine, station_id: str) -> int | None:
    """The office a station was registered for (``station-token --office``); None: the default office."""
    with engine.connect() as conn:
        return conn.execute(select(db.stations.c.office_id).where(db.stations.c.station_id == station_id)).scalar()


def station_keys(engine: Engine) -> dict[str, Ed25519PublicKey]:
    """The keys of the registered stations not revoked."""
    with engine.begin() as conn:
        rows = conn.execute(select(db.stations.c.station_id, db.stations.c.public_key)
                            .where(db.stations.c.revoked_at.is_(None))).all()
    return {r.station_id: Ed25519PublicKey.from_public_bytes(r.public_key) for r in rows}


def list_stations(engine: Engine) -> list[dict]:
    with engine.begin() as conn:
        rows = conn.execute(select(db.stations).order_by(db.stations.c.registered_at)).all()
    return [{"station_id": r.station_id, "name": r.name, "office_id": r.office_id,
             "registered_at": _aware(r.registered_at).isoformat(),
             "revoked_at": _aware(r.revoked_at).isoformat() if r.revoked_at else None} for r in rows]


def revoke_station(engine: Engine, which: str, actor: str = "cli") -> list[str]:
    """Revoke the station(s) with id or name ``which``: their signatures are refused from then on (the
    serving process re-reads the keys within ``service.STATION_KEYS_TTL_S``); audited. Returns the ids."""
    s = db.stations.c
    with engine.begin() as conn:
        ids = [r.station_id for r in conn.execute(select(s.station_id).where(
            or_(s.station_id == which, s.name == which), s.revoked_at.is_(None))).all()]
        if not ids:
            raise CentralError(404, "central.station_not_found", station=which)
        conn.execute(db.stations.update().where(s.station_id.in_(ids)).values(revoked_at=now_utc()))
        for station_id in ids:
            conn.execute(db.central_audit.insert().values(at=now_utc(), actor=actor, action="station.revoked",
                                                          subject=station_id, detail=None))
    return ids


# -- intake ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Intake:
    status: str  # "stored" | "already_received"
    packet_id: str
    application: str
    record_status: str = "accepted"  # "accepted" | "held" (the version check's outcome, when stored)
    hold_reason: str | None = None  # catalog id when held


def validate(opened: OpenedPacket, production: bool) -> dict:
    """The manifest's promises checked against the header and the files it lists, in a format this
    release reads (``wire.ACCEPTED_FORMATS``: its own and the one before, so stations can upgrade later)."""
    m = opened.content.manifest
    h = opened.header
    check_format(m)
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

    from .identification import face_embedding

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
    """A stored record's files, in clear: decrypted when sealed (:data:`RECORD_KEY`), as stored when not."""
    rows = conn.execute(select(db.record_files.c.name, db.record_files.c.data)
                        .where(db.record_files.c.packet_id == packet_id)).all()
    files = {f.name: bytes(f.data) for f in rows}
    envelope = files.pop(RECORD_KEY, None)
    if envelope is None:  # stored in clear, before records were encrypted at rest
        return files
    return central_keys.open_files(_keys(conn.engine, conn).wrapper, packet_id, envelope, files)


def record_files(engine: Engine, packet_id: str) -> dict[str, bytes]:
    """One stored record's files (any version, held or not), decrypted; {} when it has none."""
    with engine.begin() as conn:
        return _files(conn, packet_id)


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
    from .versions import compare_versions

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
    envelope, sealed_files = central_keys.seal_files(_keys(engine).wrapper, pid, opened.content.files)

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
            known = conn.execute(select(db.applications.c.number, db.applications.c.office_id)
                                 .where(db.applications.c.number == application).with_for_update()).first()
            if known is None:
                raise PacketError(422, "central.no_application", number=application)
            if not in_scope(conn, known.office_id, opened.header.station_id):
                # another office's applicant: enrolled where they booked, or moved there by staff first
                raise PacketError(403, "central.application_other_office", number=application)
            current = _current(conn, application)
            if (current.packet_id if current else None) != against:
                continue  # another version became current while this one was compared: compare again
            held = check is not None and not check.accepted
            try:
                conn.execute(db.records.insert().values(
                    packet_id=pid, application=application, station_id=opened.header.station_id,
                    digest=opened.digest, received_at=(at := now_utc()), accepted_at=None if held else at,
                    manifest=json.dumps(manifest, sort_keys=True, ensure_ascii=False),
                    emulated=any(bool(d.get("emulated")) for d in manifest["devices"] if isinstance(d, dict)),
                    status="held" if held else "accepted", hold_reason=check.reason if held else None,
                    verification=None if check is None else json.dumps(dict(check.as_json(), against=against))))
                conn.execute(db.record_files.insert(), [{"packet_id": pid, "name": RECORD_KEY, "data": envelope}] + [
                    {"packet_id": pid, "name": n, "data": d} for n, d in sorted(sealed_files.items())])
                note_audit_head(conn)
                if held:
                    from .adjudication import queue_held

                    queue_held(conn, pid, application, against, check.as_json())
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


def searched(engine: Engine, packet_id: str, status: str, note: dict) -> None:
    """Where a record's 1:N search stands: searched, or still queued with why (the note)."""
    with engine.begin() as conn:
        conn.execute(db.records.update().where(db.records.c.packet_id == packet_id)
                     .values(search_status=status, search_note=json.dumps(note, sort_keys=True)))


def list_records(engine: Engine) -> list[dict]:
    with engine.begin() as conn:
        rows = conn.execute(select(db.records.c.packet_id, db.records.c.application, db.records.c.station_id,
                                   db.records.c.received_at, db.records.c.emulated, db.records.c.status,
                                   db.records.c.hold_reason, db.records.c.verification, db.records.c.search_status,
                                   db.records.c.search_note, db.records.c.erased_at, db.records.c.erasure)
                            .order_by(db.records.c.received_at)).all()
        items = conn.execute(select(db.adjudication_items)
                             .where(db.adjudication_items.c.kind == "possible_duplicate")
                             .order_by(db.adjudication_items.c.id)).all()
    by_packet: dict[str, list[dict]] = {}
    for i in items:
        scores = json.loads(i.scores)
        by_packet.setdefault(i.packet_id, []).append(
            {"item": i.id, "other_application": i.other_application, "score": scores.get("score"),
             "face_distance": scores.get("face_distance"), "fingers": len(scores.get("fingers") or []),
             "decision": i.decision})
    return [{"application": r.application, "packet_id": r.packet_id, "station_id": r.station_id,
             "received_at": _aware(r.received_at).isoformat(), "emulated": bool(r.emulated),
             "status": r.status, "hold_reason": r.hold_reason,
             "verification": json.loads(r.verification) if r.verification else None,
             "search": {"status": r.search_status, **(json.loads(r.search_note) if r.search_note else {})},
             "flags": by_packet.get(r.packet_id, []),
             # the tombstone of a record whose biometrics the retention policy erased (``central.retention``)
             "erased": json.loads(r.erasure) if r.erasure else None} for r in rows]


def person_count(engine: Engine) -> int:
    """Applications with a current (accepted) record: the persons the 1:N gallery holds."""
    with engine.begin() as conn:
        return int(conn.execute(select(func.count(func.distinct(db.records.c.application)))
                                .where(db.records.c.status == "accepted")).scalar_one())


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


def all_records(engine: Engine, since: datetime | None = None, accepted_only: bool = False,
                queued_only: bool = False, skip=lambda _packet_id, _application: False):
    """Every stored record (only accepted ones, or only those whose search is queued, if asked; with
    ``since``, only those accepted at or after it: taken in then, or released from hold by an
    adjudicator then), oldest first, as ``StoredRecord``: what the 1:N gallery is built from.

    Records whose biometrics were erased (``central.retention``) are left out: nothing of them to search;
    so are those ``skip(packet_id, application)`` names, before their files are read (the gallery's catching up
    passes the records it holds, so a search after a burst of intake reads only the new records' files).
    """
    r = db.records.c
    query = select(r.packet_id, r.application, r.status, r.search_status, r.manifest).where(r.erased_at.is_(None))
    if since is not None:
        query = query.where(r.accepted_at >= since)
    if accepted_only:
        query = query.where(r.status == "accepted")
    if queued_only:
        query = query.where(r.search_status == "queued")
    with engine.begin() as conn:
        rows = conn.execute(query.order_by(r.received_at, r.packet_id)).all()
    for row in rows:
        if skip(row.packet_id, row.application):
            continue
        with engine.begin() as conn:
            files = _files(conn, row.packet_id)
        yield StoredRecord(row.packet_id, row.application, row.status, row.search_status, json.loads(row.manifest),
                           files)


@dataclass(frozen=True)
class StoredRecord:
    packet_id: str
    application: str
    status: str  # accepted | held
    search_status: str  # queued | searched
    manifest: dict
    files: dict[str, bytes]


def add_feedback(engine: Engine, application: str, stars: int, comment: str) -> None:
    # bool is an int in Python: ``"stars": true`` was stored as 1 star
    if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
        raise CentralError(422, "central.bad_stars")
    if not isinstance(comment, str) or len(comment) > 2000:
        raise CentralError(422, "central.bad_comment")
    with engine.begin() as conn:
        conn.execute(db.feedback.insert().values(application=application, stars=stars, comment=comment,
                                                 at=now_utc()))
