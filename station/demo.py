"""``biostation run --demo``: a few of today's appointments in the embedded central record.

A newcomer who starts the console on a fresh station finds an empty queue and cannot try an
enrollment without first learning the central record's commands. The demo books a handful of
invented applicants for today, at the office's own hours in its time zone, so the queue has
someone to call and the emulated sensor and a file camera can carry a whole enrollment.
Running it twice the same day books nobody twice.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# given name, surname, birth date, service, local appointment time: invented people, adults, every service
DEMO_APPLICANTS = (
    ("Siti", "Rahayu", "1990-04-01", "passport", time(8, 30)),
    ("Budi", "Santoso", "1985-11-12", "passport-renewal", time(9, 0)),
    ("Dewi", "Lestari", "1978-02-23", "visa", time(10, 0)),
    ("Agus", "Wijaya", "1995-07-30", "stay-permit", time(11, 15)),
    ("Rina", "Marlina", "2001-09-05", "passport", time(13, 30)),
)


def add_demo_appointments(embedded, zone: str, day: date | None = None) -> list[str]:
    """Book the demo applicants for ``day`` (today in ``zone``) unless already booked; returns the new numbers."""
    from central.store import appointments_on

    tz = ZoneInfo(zone)
    day = day or datetime.now(tz).date()
    booked = {(a["given_name"], a["surname"]) for a in appointments_on(embedded.engine, day, zone)}
    numbers = []
    for given, surname, born, service, at in DEMO_APPLICANTS:
        if (given, surname) in booked:
            continue
        numbers.append(embedded.add_application(given, surname, born, service, datetime.combine(day, at, tz)))
    return numbers


def embedded_office(embedded) -> str:
    """The name of the embedded central record's office, which a station on it serves (first run offers it)."""
    from central.offices import default_office

    office = default_office(embedded.engine)
    return office.name if office is not None else ""


def open_file_camera(path: str):
    """A video file or a folder of photos played as the camera (``file:`` URL), for a station without one.

    The console offers it when no camera opened, so a newcomer can walk an enrollment with a
    recording or a few portraits; it is the same driver path as any configured ``file:`` camera.
    """
    from pathlib import Path

    from drivers import open_camera

    return open_camera("file:" + str(Path(path).expanduser().resolve()))
