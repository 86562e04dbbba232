"""The administrators' pages of the back office: offices (hours, slot length, capacity, shut days) and the
day's bookings and load per office.

The rules of an office's diary live in ``central.offices`` (the portal books by them); here an
administrator reads and changes an office's settings, checked as ``offices.add_office`` checks a new
one, each change audited in the transaction that makes it (``office.update``, ``office.day``, with the
values before and after). Lowering a capacity or moving the hours never cancels a booking: an
appointment already taken keeps its place, and the load page shows a slot booked past its capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from sqlalchemy import Engine, select, update

from .. import db, offices, staff
from ..store import CentralError, _aware
from .forms import check_csrf
from .pages import page

PREFIX = "/office"


@dataclass(frozen=True)
class FieldProblems(Exception):
    """Fields of an office's form that are wrong: name → (catalog id, parameters)."""

    fields: dict[str, tuple[str, dict]]


def _number(value: str, low: int, high: int) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and low <= int(value) <= high else None


def update_office(engine: Engine, office_id: int, form: dict, by: staff.StaffMember) -> offices.Office:
    """Change an office's hours, slot length, capacity, zone and shut weekdays; every wrong field named
    at once (:class:`FieldProblems`); audited with the values before and after."""
    problems: dict[str, tuple[str, dict]] = {}
    opens, closes = str(form.get("opens", "")).strip(), str(form.get("closes", "")).strip()
    minutes_text, capacity_text = str(form.get("slot_minutes", "")), str(form.get("capacity", ""))
    minutes, capacity = _number(minutes_text, 5, 240), _number(capacity_text, 1, 1000)
    try:
        opening, closing = time.fromisoformat(opens), time.fromisoformat(closes)
        if minutes and (datetime.combine(date.min, opening) + timedelta(minutes=minutes)
                        > datetime.combine(date.min, closing)):
            raise ValueError("no slot fits")
    except ValueError:
        problems["hours"] = ("portal.bad_hours", {"opens": opens[:8], "closes": closes[:8]})
    if minutes is None or capacity is None:
        problems["slots"] = ("portal.bad_slots", {"minutes": minutes_text[:8], "capacity": capacity_text[:8]})
    try:
        zone = offices.zone_name(str(form.get("timezone", ""))[:64])
    except CentralError as exc:
        problems["timezone"] = (exc.message_id, exc.params)
    shut = sorted({int(d) for d in form.getlist("closed") if str(d).isdigit() and 0 <= int(d) <= 6}) \
        if hasattr(form, "getlist") else []
    if problems:
        raise FieldProblems(problems)
    values = {"opens": opening.strftime("%H:%M"), "closes": closing.strftime("%H:%M"), "slot_minutes": minutes,
              "capacity": capacity, "timezone": zone, "closed_weekdays": ",".join(map(str, shut))}
    with engine.begin() as conn:
        row = conn.execute(select(db.offices).where(db.offices.c.id == office_id)).first()
        if row is None:
            raise CentralError(404, "office.no_office")
        before = {k: getattr(row, k) for k in values}
        conn.execute(update(db.offices).where(db.offices.c.id == office_id).values(**values))
        staff.audit(conn, by.name, "office.update", row.name, before=before, after=values)
    return offices.get_office(engine, office_id)


def set_day(engine: Engine, office: offices.Office, form: dict, by: staff.StaffMember) -> None:
    """Shut an office on one day, or give that day another capacity per slot (empty: the office's own)."""
    try:
        day = date.fromisoformat(str(form.get("day", "")).strip()[:10])
    except ValueError as exc:
        raise FieldProblems({"day": ("office.bad_day", {})}) from exc
    closed = form.get("closed_day") == "yes"
    capacity_text = str(form.get("day_capacity", "")).strip()
    capacity = None if not capacity_text else _number(capacity_text, 0, 1000)
    if capacity_text and capacity is None:
        raise FieldProblems({"day_capacity": ("office.bad_day_capacity", {})})
    offices.set_day(engine, office, day, closed=closed, capacity=capacity)
    with engine.begin() as conn:
        staff.audit(conn, by.name, "office.day", office.name, day=day.isoformat(), closed=closed, capacity=capacity)


def special_days(engine: Engine, office: offices.Office, first: date) -> list[dict]:
    d = db.office_days.c
    with engine.connect() as conn:
        rows = conn.execute(select(d.day, d.closed, d.capacity).where(d.office_id == office.id,
                                                                    d.day >= first.isoformat())
                            .order_by(d.day).limit(60)).all()
    return [{"day": r.day, "closed": bool(r.closed), "capacity": r.capacity} for r in rows]


def day_load(engine: Engine, office: offices.Office, day: date) -> dict:
    """``office``'s ``day``: each slot's booked places against its capacity, and the bookings themselves
    (who, when, for what, whether their record has arrived)."""
    start = datetime.combine(day, time.min, office.zone)
    end = start + timedelta(days=1)
    a = db.applications.c
    with engine.connect() as conn:
        capacity = offices.capacity_on(conn, office, day)
        booked = offices.booked_by_slot(conn, office, start, end)
        rows = conn.execute(select(a.number, a.given_name, a.surname, a.service, a.appointment_at, a.status)
                            .where(offices.of_office(office, conn), a.appointment_at >= start.astimezone(UTC),
                                   a.appointment_at < end.astimezone(UTC))
                            .order_by(a.appointment_at, a.number)).all()
        enrolled = {r[0] for r in conn.execute(select(db.records.c.application).where(
            db.records.c.application.in_([r.number for r in rows])))} if rows else set()
    times = office.slot_times(day)
    slots = [{"time": s.strftime("%H:%M"), "booked": booked.get(s.astimezone(UTC), 0), "capacity": capacity}
             for s in times]
    known = {s.astimezone(UTC) for s in times}
    off_grid = sum(n for when, n in booked.items() if when not in known)
    bookings = [{"time": _aware(r.appointment_at).astimezone(office.zone).strftime("%H:%M"), "number": r.number,
                 "name": f"{r.given_name} {r.surname}", "service": r.service, "status": r.status,
                 "enrolled": r.number in enrolled} for r in rows]
    total = sum(s["booked"] for s in slots) + off_grid
    places = capacity * len(slots)
    return {"office": office, "capacity": capacity, "slots": slots, "bookings": bookings, "booked": total,
            "places": places, "share": round(100 * total / places) if places else None,
            "enrolled": sum(b["enrolled"] for b in bookings)}


def register(app: FastAPI, engine: Engine, gate) -> None:
    """The administrators' routes on ``app``; ``gate`` is the back office's ``office.Gate``."""

    async def admin(request: Request):
        """(member, None) for a signed-in administrator, else (None, the answer to give instead)."""
        return await gate.allowed(request, "admin")

    async def admin_office(request: Request, office_id: int):
        """(member, office, None) for an administrator and an office that exists, else the answer instead."""
        member, refusal = await admin(request)
        if refusal:
            return None, None, refusal
        office = await run_in_threadpool(offices.get_office, engine, office_id)
        if office is None:
            return member, None, gate.refused(request, member, 404, "office.no_office")
        return member, office, None

    async def admin_change(request: Request, office_id: int):
        """(form, member, office, None) for a change an administrator posts to an office that exists,
        its CSRF token checked first, else (form, ..., the answer to give instead)."""
        form = await request.form()
        check_csrf(request, form)
        return (form, *await admin_office(request, office_id))

    def office_page(request: Request, member, office: offices.Office, status: int = 200,
                    problems: dict | None = None, values: dict | None = None, saved: bool = False):
        shown = values or office.as_json() | {"closed": sorted(office.closed_weekdays)}
        today = datetime.now(office.zone).date()
        return page(request, "office/office_edit.html", status=status, member=member, section="offices",
                    office=office, values=shown, problems=problems or {}, saved=saved,
                    days=special_days(engine, office, today), zones=offices.ZONES, today=today.isoformat())

    @app.get(f"{PREFIX}/offices")
    async def office_list(request: Request):
        member, refusal = await admin(request)
        if refusal:
            return refusal
        found = await run_in_threadpool(offices.list_offices, engine)
        return page(request, "office/offices.html", member=member, section="offices", offices=found)

    @app.get(PREFIX + "/offices/{office_id}")
    async def office_form(request: Request, office_id: int, saved: int = 0):
        member, office, refusal = await admin_office(request, office_id)
        if refusal:
            return refusal
        return office_page(request, member, office, saved=bool(saved))

    @app.post(PREFIX + "/offices/{office_id}")
    async def office_save(request: Request, office_id: int):
        form, member, office, refusal = await admin_change(request, office_id)
        if refusal:
            return refusal
        try:
            await run_in_threadpool(update_office, engine, office_id, form, member)
        except FieldProblems as exc:
            values = {k: str(form.get(k, ""))[:64] for k in ("opens", "closes", "slot_minutes", "capacity",
                                                              "timezone")}
            values["closed"] = [int(d) for d in form.getlist("closed") if str(d).isdigit()]
            return office_page(request, member, office, 422, exc.fields, values)
        return RedirectResponse(f"{PREFIX}/offices/{office_id}?saved=1", status_code=303)

    @app.post(PREFIX + "/offices/{office_id}/days")
    async def office_day(request: Request, office_id: int):
        form, member, office, refusal = await admin_change(request, office_id)
        if refusal:
            return refusal
        try:
            await run_in_threadpool(set_day, engine, office, form, member)
        except (FieldProblems, CentralError) as exc:
            problems = exc.fields if isinstance(exc, FieldProblems) else {
                "day_capacity": (exc.message_id, exc.params)}
            return office_page(request, member, office, 422, problems)
        return RedirectResponse(f"{PREFIX}/offices/{office_id}?saved=1", status_code=303)

    @app.get(f"{PREFIX}/load")
    async def load(request: Request, day: str = ""):
        member, refusal = await admin(request)
        if refusal:
            return refusal
        found = await run_in_threadpool(offices.list_offices, engine)
        default = await run_in_threadpool(offices.default_office, engine)
        today = datetime.now(default.zone if default else UTC).date()
        try:
            chosen = date.fromisoformat(day[:10]) if day else today
        except ValueError:
            chosen = today
        loads = [await run_in_threadpool(day_load, engine, office, chosen) for office in found]
        return page(request, "office/load.html", member=member, section="load", loads=loads,
                    day=chosen.isoformat(), weekday=chosen.weekday(),
                    previous=(chosen - timedelta(days=1)).isoformat(), next=(chosen + timedelta(days=1)).isoformat())
