"""Offices, their diaries and the bookings in them: the applicant portal's rules, kept off the web.

An office has a time zone (WIB, WITA or WIT: Indonesia's three), opening hours as wall-clock
times there, a slot length and a capacity per slot (how many applicants its counters take at
once), weekdays it is shut, and single days it is shut or runs another capacity (``office_days``).
Its slots are the times from opening, one slot length apart, that end by closing.

A booking is checked whole before anything is stored (:func:`check_booking` names every field that
is wrong, with a catalog id the page shows beside it), then taken in one transaction that first
locks the office's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already
admits one writer), counts the slot's booked places and stores the application only while one is
free: two applicants racing for the last place cannot both get it, whichever database. The same
transaction spends the booking form's one-time id (``portal_forms``), so a replayed form stores
nothing. Without a named office an application belongs to the default office, the oldest one
(applications from before offices existed have none and count as the default office's).
"""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from domain.applications import SERVICES, new_number, parse_birth_date
from domain.errors import BiostationError

from . import db
from .store import CentralError, clean_name, now_utc

# Indonesia's three time zones, as applicants name them
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
ZONE_LABELS = {zone: label for label, zone in ZONES.items()}
BOOKING_DAYS = 30  # how far ahead the portal offers slots
FORM_LIFETIME = timedelta(hours=2)  # a booking form older than this is refused; used ids are kept this long
PRIVACY_NOTICE = "2026-12"  # the version of the privacy notice an applicant consents to (``/privacy``)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class FieldErrors(BiostationError):
    """Fields of a form that are wrong: ``fields`` maps a field's name to (catalog id, parameters)."""

    def __init__(self, fields: dict[str, tuple[str, dict]]) -> None:
        super().__init__("portal.fix_fields", count=len(fields))
        self.fields = fields


class FormReplayed(BiostationError):
    """A booking form whose one-time id was spent already (sent twice, or replayed)."""

    def __init__(self) -> None:
        super().__init__("portal.form_replayed")


@dataclass(frozen=True)
class Office:
    id: int
    name: str
    timezone: str
    opens: time
    closes: time
    slot_minutes: int
    capacity: int
    closed_weekdays: frozenset[int]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def zone_label(self) -> str:
        """WIB, WITA or WIT; another zone by its IANA name."""
        return ZONE_LABELS.get(self.timezone, self.timezone)

    def slot_times(self, day: date) -> list[datetime]:
        """The starts of ``day``'s slots (aware, in the office's zone), whether or not the office opens that day."""
        start = datetime.combine(day, self.opens, self.zone)
        end = datetime.combine(day, self.closes, self.zone)
        step = timedelta(minutes=self.slot_minutes)
        times = []
        while start + step <= end:
            times.append(start)
            start += step
        return times

    def as_json(self) -> dict:
        return {"id": self.id, "name": self.name, "timezone": self.timezone, "zone": self.zone_label,
                "opens": self.opens.strftime("%H:%M"), "closes": self.closes.strftime("%H:%M"),
                "slot_minutes": self.slot_minutes, "capacity": self.capacity,
                "closed_weekdays": [WEEKDAYS[d] for d in sorted(self.closed_weekdays)]}


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, in the office's zone
    free: int


def _office(row) -> Office:
    return Office(row.id, row.name, row.timezone, time.fromisoformat(row.opens), time.fromisoformat(row.closes),
                  row.slot_minutes, row.capacity,
                  frozenset(int(d) for d in row.closed_weekdays.split(",") if d.strip()))


# -- offices ------------------------------------------------------------------------------------
def zone_name(text: str) -> str:
    """The IANA zone of ``text``: WIB/WITA/WIT (any case) or an IANA name such as Asia/Makassar."""
    name = ZONES.get(text.strip().upper(), text.strip())
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CentralError(422, "portal.bad_zone", value=text) from exc
    return name


def weekdays(text: str) -> frozenset[int]:
    """``sat,sun`` as {5, 6}; an empty text as no weekday."""
    days = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        if part[:3] not in WEEKDAYS:
            raise CentralError(422, "portal.bad_weekday", value=part)
        days.add(WEEKDAYS.index(part[:3]))
    return frozenset(days)


def add_office(engine: Engine, name: str, opens: str, closes: str, slot_minutes: int, capacity: int,
               timezone: str = "Asia/Jakarta", closed_weekdays: str = "sat,sun") -> Office:
    """Open an office for bookings; refuses a name in use, hours that hold no slot, a capacity below 1."""
    name = unicodedata.normalize("NFC", name.strip())
    if not name or len(name) > 100 or not name.isprintable():
        raise CentralError(422, "portal.bad_office_name")
    try:
        opening, closing = time.fromisoformat(opens), time.fromisoformat(closes)
    except ValueError as exc:
        raise CentralError(422, "portal.bad_hours", opens=opens, closes=closes) from exc
    if not 5 <= slot_minutes <= 240 or not 1 <= capacity <= 1000:
        raise CentralError(422, "portal.bad_slots", minutes=slot_minutes, capacity=capacity)
    if datetime.combine(date.min, opening) + timedelta(minutes=slot_minutes) > datetime.combine(date.min, closing):
        raise CentralError(422, "portal.bad_hours", opens=opens, closes=closes)
    zone, shut = zone_name(timezone), weekdays(closed_weekdays)
    try:
        with engine.begin() as conn:
            office_id = conn.execute(db.offices.insert().values(
                name=name, timezone=zone, opens=opening.strftime("%H:%M"), closes=closing.strftime("%H:%M"),
                slot_minutes=slot_minutes, capacity=capacity, closed_weekdays=",".join(map(str, sorted(shut))),
                created_at=now_utc())).inserted_primary_key[0]
    except IntegrityError as exc:
        raise CentralError(409, "portal.office_exists", name=name) from exc
    return Office(office_id, name, zone, opening, closing, slot_minutes, capacity, shut)


def list_offices(engine: Engine) -> list[Office]:
    with engine.connect() as conn:
        return [_office(r) for r in conn.execute(select(db.offices).order_by(db.offices.c.name))]


def get_office(engine: Engine, office_id: int) -> Office | None:
    with engine.connect() as conn:
        row = conn.execute(select(db.offices).where(db.offices.c.id == office_id)).first()
    return None if row is None else _office(row)


def default_office(engine: Engine) -> Office | None:
    """The oldest office: where applications and stations without a named office belong."""
    with engine.connect() as conn:
        row = conn.execute(select(db.offices).order_by(db.offices.c.id).limit(1)).first()
    return None if row is None else _office(row)


def office_named(engine: Engine, name: str | None) -> Office | None:
    """The office called ``name``; the default office for no name; refused (404) for an unknown name."""
    if not name:
        return default_office(engine)
    with engine.connect() as conn:
        row = conn.execute(select(db.offices).where(db.offices.c.name == name.strip())).first()
    if row is None:
        raise CentralError(404, "portal.no_such_office", name=name)
    return _office(row)


def set_day(engine: Engine, office: Office, day: date, closed: bool = False, capacity: int | None = None) -> None:
    """Shut ``office`` on ``day`` (a holiday), or open it that day with another capacity per slot."""
    if capacity is not None and not 0 <= capacity <= 1000:
        raise CentralError(422, "portal.bad_slots", minutes=office.slot_minutes, capacity=capacity)
    with engine.begin() as conn:
        conn.execute(db.office_days.delete().where(db.office_days.c.office_id == office.id,
                                                   db.office_days.c.day == day.isoformat()))
        conn.execute(db.office_days.insert().values(office_id=office.id, day=day.isoformat(), closed=closed,
                                                    capacity=capacity))


def _days(conn, office: Office, first: date, last: date) -> dict[str, tuple[bool, int | None]]:
    d = db.office_days.c
    rows = conn.execute(select(d.day, d.closed, d.capacity).where(
        d.office_id == office.id, d.day >= first.isoformat(), d.day <= last.isoformat()))
    return {r.day: (bool(r.closed), r.capacity) for r in rows}


def _capacity(office: Office, day: date, exceptions: dict[str, tuple[bool, int | None]]) -> int:
    """Places per slot on ``day``: 0 when the office is shut.

    A day set on its own wins over its weekday: a holiday shuts a working day, and a capacity given
    for one day opens it even on a weekday the office is usually shut (a Saturday service day).
    """
    closed, capacity = exceptions.get(day.isoformat(), (False, None))
    if closed:
        return 0
    if capacity is not None:
        return capacity
    return 0 if day.weekday() in office.closed_weekdays else office.capacity


def _booked(conn, office: Office, start: datetime, end: datetime) -> dict[datetime, int]:
    """Booked places per slot start (UTC) between ``start`` and ``end``."""
    a = db.applications.c
    rows = conn.execute(select(a.appointment_at).where(
        of_office(office, conn), a.status == "booked",
        a.appointment_at >= start.astimezone(UTC), a.appointment_at < end.astimezone(UTC)))
    step = timedelta(minutes=office.slot_minutes)
    counts: dict[datetime, int] = {}
    for (when,) in rows:
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        local = when.astimezone(office.zone)
        # an appointment off the grid (typed by staff) takes a place in the slot it falls in
        opening = datetime.combine(local.date(), office.opens, office.zone)
        slot = opening + step * ((local - opening) // step)
        counts[slot.astimezone(UTC)] = counts.get(slot.astimezone(UTC), 0) + 1
    return counts


def capacity_on(conn, office: Office, day: date) -> int:
    """Places per slot of ``office`` on ``day`` (0: shut), its weekday and its own setting considered."""
    return _capacity(office, day, _days(conn, office, day, day))


def booked_by_slot(conn, office: Office, start: datetime, end: datetime) -> dict[datetime, int]:
    """Booked places of ``office`` per slot start (UTC) between ``start`` and ``end`` (the day's load)."""
    return _booked(conn, office, start, end)


def of_office(office: Office, conn) -> object:
    """The applications of ``office``: its own, and for the default office those with none."""
    a = db.applications.c
    oldest = conn.execute(select(func.min(db.offices.c.id))).scalar()
    return or_(a.office_id == office.id, a.office_id.is_(None)) if office.id == oldest else a.office_id == office.id


def free_slots(engine: Engine, office: Office, now: datetime | None = None, days: int = BOOKING_DAYS) -> list[Slot]:
    """The slots still bookable from ``now`` over the next ``days`` days, with their free places."""
    now = now or now_utc()
    first = now.astimezone(office.zone).date()
    last = first + timedelta(days=days)
    with engine.connect() as conn:
        exceptions = _days(conn, office, first, last)
        booked = _booked(conn, office, datetime.combine(first, time.min, office.zone),
                         datetime.combine(last + timedelta(days=1), time.min, office.zone))
    slots = []
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        capacity = _capacity(office, day, exceptions)
        for start in office.slot_times(day) if capacity else ():
            free = capacity - booked.get(start.astimezone(UTC), 0)
            if start > now and free > 0:
                slots.append(Slot(start, free))
    return slots


# -- bookings ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Booking:
    """A booking's checked fields, ready to store."""

    given_name: str
    surname: str
    birth_date: str
    service: str
    office: Office
    slot: datetime  # aware, in the office's zone


def _field(errors: dict, name: str, check, *args):
    try:
        return check(*args)
    except BiostationError as exc:
        errors[name] = (exc.message_id, exc.params)
        return None


def _name(value: str, field: str) -> str:
    if not (value or "").strip():
        if field == "surname":
            return ""  # one name only, as many Indonesians have: it is the given name
        raise BiostationError("portal.given_name_missing")
    try:
        return clean_name(value, field)
    except CentralError as exc:
        raise BiostationError("portal.bad_name") from exc


def _birth_date(value: str, today: date) -> date:
    if not value:
        raise BiostationError("portal.birth_date_missing")
    return parse_birth_date(value, today)


def _service(value: str) -> str:
    if value not in SERVICES:
        raise BiostationError("portal.choose_service")
    return value


def office_for_form(engine: Engine, value: str) -> Office:
    """The office a form's ``office`` field (its id) names."""
    office = get_office(engine, int(value)) if value.isdigit() and len(value) < 10 else None
    if office is None:
        raise BiostationError("portal.choose_office")
    return office


def parse_slot(office: Office, value: str, now: datetime) -> datetime:
    """The slot a form's ``slot`` field names (ISO date-time), if it is one of ``office``'s, ahead and open.

    Whether the office opens that day and the slot still has a free place are checked when it is
    booked, under the office's lock (``_check_place``).
    """
    try:
        when = datetime.fromisoformat(value) if 10 <= len(value) <= 40 else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BiostationError("portal.choose_slot")
    when = when.astimezone(office.zone)
    if when <= now:
        raise BiostationError("portal.slot_past")
    if when.date() > now.astimezone(office.zone).date() + timedelta(days=BOOKING_DAYS):
        raise BiostationError("portal.slot_too_far", days=BOOKING_DAYS)
    if when not in office.slot_times(when.date()):
        raise BiostationError("portal.choose_slot")
    return when


def check_booking(engine: Engine, form: dict[str, str], now: datetime | None = None) -> Booking:
    """Every field of a booking form checked; :class:`FieldErrors` names all that are wrong at once."""
    now = now or now_utc()
    errors: dict[str, tuple[str, dict]] = {}
    given = _field(errors, "given_name", _name, form.get("given_name", ""), "given_name")
    family = _field(errors, "surname", _name, form.get("surname", ""), "surname")
    born = _field(errors, "birth_date", _birth_date, form.get("birth_date", "").strip(), now.date())
    service = _field(errors, "service", _service, form.get("service", ""))
    office = _field(errors, "office", office_for_form, engine, form.get("office", ""))
    slot = _field(errors, "slot", parse_slot, office, form.get("slot", ""), now) if office else None
    if form.get("consent") != "yes":
        errors["consent"] = ("portal.consent_needed", {})
    if errors:
        raise FieldErrors(errors)
    return Booking(given, family, born.isoformat(), service, office, slot)


def _lock_office(conn, office: Office) -> None:
    """Hold ``office``'s row until the transaction ends, so its bookings are taken one at a time."""
    query = select(db.offices.c.id).where(db.offices.c.id == office.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    conn.execute(query)


def _check_place(conn, office: Office, slot: datetime, leaving: str | None = None) -> None:
    """Refuse a slot on a shut day or with no free place (``leaving``: an application moving out of it)."""
    exceptions = _days(conn, office, slot.date(), slot.date())
    capacity = _capacity(office, slot.date(), exceptions)
    if capacity == 0:
        raise FieldErrors({"slot": ("portal.office_closed", {})})
    a = db.applications.c
    taken = conn.execute(select(func.count()).select_from(db.applications).where(
        of_office(office, conn), a.status == "booked",
        a.appointment_at >= slot.astimezone(UTC),
        a.appointment_at < (slot + timedelta(minutes=office.slot_minutes)).astimezone(UTC),
        *([a.number != leaving] if leaving else []))).scalar_one()
    if taken >= capacity:
        raise FieldErrors({"slot": ("portal.slot_full", {})})


def _spend_form(conn, form_id: str, now: datetime) -> None:
    """Spend a one-time form id (``FormReplayed`` if it was); forget ids older than a form's lifetime."""
    conn.execute(db.portal_forms.delete().where(db.portal_forms.c.used_at < now - FORM_LIFETIME))
    existing = conn.execute(select(db.portal_forms.c.form_id).where(db.portal_forms.c.form_id == form_id)).first()
    if existing is not None:
        raise FormReplayed()
    conn.execute(db.portal_forms.insert().values(form_id=form_id, used_at=now))


def _fresh_number(conn, service: str, now: datetime) -> str:
    """A number no application has yet (numbers are random: a collision is rare, but possible)."""
    for _ in range(20):
        number = new_number(service, now)
        if conn.execute(select(db.applications.c.number).where(db.applications.c.number == number)).first() is None:
            return number
    raise CentralError(503, "central.busy")


def book(engine: Engine, booking: Booking, form_id: str, now: datetime | None = None) -> str:
    """Store a checked booking if its slot still has a place; returns the application's number.

    One transaction: the form's id is spent, the office locked, the place counted and the
    application stored, or none of it (``FieldErrors`` for a full slot or a shut day,
    ``FormReplayed`` for a form sent before).
    """
    now = now or now_utc()
    for _ in range(3):
        try:
            with engine.begin() as conn:
                _spend_form(conn, form_id, now)
                _lock_office(conn, booking.office)
                _check_place(conn, booking.office, booking.slot)
                number = _fresh_number(conn, booking.service, now)
                conn.execute(db.applications.insert().values(
                    number=number, given_name=booking.given_name, surname=booking.surname,
                    birth_date=booking.birth_date, service=booking.service, office_id=booking.office.id,
                    appointment_at=booking.slot.astimezone(UTC), created_at=now, status="booked",
                    consent_at=now, privacy_notice=PRIVACY_NOTICE))
            return number
        except IntegrityError as exc:
            # the same form spent by a concurrent request, or the number taken meanwhile by another writer
            with engine.connect() as conn:
                spent = conn.execute(select(db.portal_forms.c.form_id)
                                     .where(db.portal_forms.c.form_id == form_id)).first()
            if spent is not None:
                raise FormReplayed() from exc
    raise CentralError(503, "central.busy")


# -- an applicant's own application ------------------------------------------------------------
@dataclass(frozen=True)
class Application:
    number: str
    given_name: str
    surname: str
    birth_date: str
    service: str
    office: Office | None
    appointment_at: datetime  # aware, in the office's zone (UTC without an office)
    status: str


def _application(conn, row) -> Application:
    office_row = None
    if row.office_id is not None:
        office_row = conn.execute(select(db.offices).where(db.offices.c.id == row.office_id)).first()
    else:
        office_row = conn.execute(select(db.offices).order_by(db.offices.c.id).limit(1)).first()
    office = None if office_row is None else _office(office_row)
    when = row.appointment_at if row.appointment_at.tzinfo else row.appointment_at.replace(tzinfo=UTC)
    return Application(row.number, row.given_name, row.surname, row.birth_date, row.service, office,
                       when.astimezone(office.zone if office else UTC), row.status)


def application(engine: Engine, number: str) -> Application | None:
    with engine.connect() as conn:
        row = conn.execute(select(db.applications).where(db.applications.c.number == number)).first()
        return None if row is None else _application(conn, row)


def find(engine: Engine, number: str, birth_date: str) -> Application | None:
    """The application with ``number`` if ``birth_date`` is its applicant's; None alike for an unknown
    number and a wrong date, so the answer tells a stranger nothing about which numbers exist."""
    found = application(engine, number.strip().upper()[:32]) if number else None
    # the comparison runs whether or not the number exists, and in constant time
    given = (birth_date or "").strip().encode()
    if found is None:
        hmac.compare_digest(given, b"0000-00-00")
        return None
    return found if hmac.compare_digest(given, found.birth_date.encode()) else None


def reschedule(engine: Engine, number: str, slot_text: str, now: datetime | None = None) -> Application:
    """Move a booked application to another slot of its office (its own place given up in the same step)."""
    now = now or now_utc()
    current = application(engine, number)
    if current is None or current.status != "booked" or current.office is None:
        raise BiostationError("portal.not_reschedulable")
    try:
        slot = parse_slot(current.office, slot_text, now)
    except BiostationError as exc:
        raise FieldErrors({"slot": (exc.message_id, exc.params)}) from exc
    with engine.begin() as conn:
        _lock_office(conn, current.office)
        _check_place(conn, current.office, slot, leaving=number)
        conn.execute(update(db.applications).where(db.applications.c.number == number,
                                                   db.applications.c.status == "booked")
                     .values(appointment_at=slot.astimezone(UTC), office_id=current.office.id))
    return application(engine, number)


def cancel(engine: Engine, number: str, now: datetime | None = None) -> bool:
    """Cancel a booked application (its place is free again); False when it was not booked."""
    with engine.begin() as conn:
        done = conn.execute(update(db.applications).where(db.applications.c.number == number,
                                                          db.applications.c.status == "booked")
                            .values(status="cancelled", cancelled_at=now or now_utc()))
    return done.rowcount == 1
