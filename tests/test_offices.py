"""Offices and their diaries (``central.offices``) on a real database: slots in each office's own zone,
shut weekdays and days, per-day capacity, the default office, and what an office may not be.

SQLite always; PostgreSQL too with BIOSTATION_TEST_PG. The portal's pages and the race for the last
place over HTTP are in test_portal.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from central import offices, store
from central.db import connect


@pytest.fixture
def engine(central_db):
    engine = connect(central_db)
    yield engine
    engine.dispose()


def test_slots_are_the_offices_own_wall_clock_in_wib_wita_and_wit(engine):
    made = [offices.add_office(engine, f"Kantor {zone}", "08:00", "09:00", 20, 3, zone, "")
            for zone in ("WIB", "WITA", "WIT")]
    day = datetime(2027, 3, 2).date()
    for office, offset in zip(made, (7, 8, 9), strict=True):
        starts = office.slot_times(day)
        assert [s.strftime("%H:%M") for s in starts] == ["08:00", "08:20", "08:40"]
        assert all(s.utcoffset() == timedelta(hours=offset) for s in starts)
        assert office.zone_label in ("WIB", "WITA", "WIT")
    assert [o.timezone for o in made] == ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    # the last slot must end by closing: 08:00-09:10 in 30-minute slots holds two
    odd = offices.add_office(engine, "Kantor Ganjil", "08:00", "09:10", 30, 1)
    assert [s.strftime("%H:%M") for s in odd.slot_times(day)] == ["08:00", "08:30"]


def test_free_slots_skip_shut_weekdays_and_days_and_follow_a_days_capacity(engine):
    office = offices.add_office(engine, "Kantor Imigrasi Bandung", "08:00", "10:00", 30, 2, "WIB", "sat,sun")
    now = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)  # a Monday, 07:00 WIB
    slots = offices.free_slots(engine, office, now, days=6)
    days = sorted({s.start.date() for s in slots})
    assert [d.weekday() for d in days] == [0, 1, 2, 3, 4]  # Saturday and Sunday shut
    assert all(s.free == 2 for s in slots) and len(slots) == 5 * 4

    tuesday, wednesday = days[1], days[2]
    offices.set_day(engine, office, tuesday, closed=True)  # a holiday
    offices.set_day(engine, office, wednesday, capacity=5)  # more counters that day
    slots = offices.free_slots(engine, office, now, days=6)
    assert tuesday not in {s.start.date() for s in slots}
    assert {s.free for s in slots if s.start.date() == wednesday} == {5}
    saturday = days[0] + timedelta(days=5)
    offices.set_day(engine, office, saturday, capacity=1)  # a Saturday service day
    slots = offices.free_slots(engine, office, now, days=6)
    assert {s.free for s in slots if s.start.date() == saturday} == {1}
    assert tuesday not in {s.start.date() for s in slots}


def test_slots_already_begun_are_not_offered(engine):
    office = offices.add_office(engine, "Kantor Imigrasi Medan", "08:00", "10:00", 30, 1, "WIB", "")
    now = datetime.combine(datetime(2027, 3, 1).date(), time(8, 40), office.zone)
    today = [s.start.strftime("%H:%M") for s in offices.free_slots(engine, office, now, days=0)]
    assert today == ["09:00", "09:30"]


def test_staff_bookings_off_the_grid_take_a_place_in_their_slot(engine):
    office = offices.add_office(engine, "Kantor Imigrasi Bogor", "08:00", "12:00", 30, 2, "WIB", "")
    day = datetime.now(office.zone).date() + timedelta(days=2)
    walk_in = datetime.combine(day, time(9, 10), office.zone)
    store.add_application(engine, "Budi", "Santoso", "1980-01-01", "passport", walk_in, office.name)
    free = {s.start.strftime("%H:%M"): s.free for s in offices.free_slots(engine, office) if s.start.date() == day}
    assert free["09:00"] == 1 and free["09:30"] == 2


def test_the_default_office_is_the_oldest_and_holds_the_applications_without_one(engine):
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport",
                                   datetime.now(UTC) + timedelta(hours=30))
    assert offices.default_office(engine) is None and offices.application(engine, number).office is None
    first = offices.add_office(engine, "Kantor Imigrasi Semarang", "08:00", "15:00", 15, 4)
    offices.add_office(engine, "Kantor Imigrasi Aceh", "08:00", "15:00", 15, 4)
    assert offices.default_office(engine) == first == offices.office_named(engine, "")
    assert offices.application(engine, number).office == first  # counted in its queue
    day = offices.application(engine, number).appointment_at.date()
    assert [a["number"] for a in store.appointments_on(engine, day, first.timezone, first)] == [number]
    aceh = offices.office_named(engine, "Kantor Imigrasi Aceh")
    assert store.appointments_on(engine, day, aceh.timezone, aceh) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"opens": "15:00", "closes": "08:00"}, "portal.bad_hours"),
    ({"opens": "8 pagi"}, "portal.bad_hours"),
    ({"slot_minutes": 0}, "portal.bad_slots"),
    ({"capacity": 0}, "portal.bad_slots"),
    ({"timezone": "Mars/Olympus"}, "portal.bad_zone"),
    ({"closed_weekdays": "caturday"}, "portal.bad_weekday"),
    ({"name": " "}, "portal.bad_office_name"),
])
def test_an_office_that_cannot_be_is_refused_with_its_reason(engine, kwargs, message):
    values = {"name": "Kantor", "opens": "08:00", "closes": "15:00", "slot_minutes": 15, "capacity": 4} | kwargs
    with pytest.raises(store.CentralError) as refused:
        offices.add_office(engine, **values)
    assert refused.value.message_id == message and offices.list_offices(engine) == []


def test_office_names_are_unique(engine):
    offices.add_office(engine, "Kantor Imigrasi Batam", "08:00", "15:00", 15, 4)
    with pytest.raises(store.CentralError) as refused:
        offices.add_office(engine, "Kantor Imigrasi Batam", "09:00", "12:00", 15, 4)
    assert refused.value.status == 409
