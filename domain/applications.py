"""Applications as every layer names them: the services an office offers and the number format.

An application number is the service's letter, the registration date (YYMMDD) and six random
digits (``P261206048213``). The portal prints it as a QR code, the kiosk and the console read it
back with ``number_from_scan``, and the central record makes new ones with ``new_number``.

What an applicant types is checked here, once, for every front door (the central record's store,
the portal, the command line): a name has a letter in it (punctuation alone is not a name), a birth
date is written YYYY-MM-DD and is a real day between 1900-01-01 and today, and an appointment falls
in :data:`APPOINTMENT_WINDOW`. Each refusal is a ``BiostationError`` with an ``application.*``
message the applicant can act on, in either language.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta

from .errors import BiostationError

SERVICES = ("passport", "passport-renewal", "visa", "stay-permit")
EARLIEST_BIRTH = date(1900, 1, 1)
_BIRTH_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # Python 3.11 also reads 19900101 and 1990-W01-1
# An appointment may lie at most a day in the past (a booking typed in after a late walk-in, time
# zones) and at most a year ahead (offices open their diaries a year out; 1900 or 2999 is a typo).
APPOINTMENT_WINDOW = (timedelta(days=1), timedelta(days=366))


def check_name(value: str) -> None:
    """Refuse a name without a single letter ("...", "-'"): what characters a name may hold is the caller's rule."""
    if not any(c.isalpha() for c in value):
        raise BiostationError("application.name_without_letters", value=value)


def parse_birth_date(text: object, today: date) -> date:
    """The birth date in ``text``, written YYYY-MM-DD, a day of the calendar, from 1900 to ``today``."""
    if not isinstance(text, str) or not _BIRTH_DATE.fullmatch(text):
        raise BiostationError("application.birth_date_format", value=text)
    try:
        born = date.fromisoformat(text)
    except ValueError as exc:
        raise BiostationError("application.birth_date_not_a_day", value=text) from exc
    if born > today:
        raise BiostationError("application.birth_date_future", value=text)
    if born < EARLIEST_BIRTH:
        raise BiostationError("application.birth_date_too_early", value=text, earliest=EARLIEST_BIRTH.year)
    return born


def check_appointment(when: datetime, now: datetime) -> None:
    """Refuse an appointment more than a day past or more than a year ahead of ``now`` (both aware)."""
    before, after = APPOINTMENT_WINDOW
    if when < now - before:
        raise BiostationError("application.appointment_past", value=when.isoformat(timespec="minutes"))
    if when > now + after:
        raise BiostationError("application.appointment_too_far", value=when.isoformat(timespec="minutes"),
                              days=after.days)


def new_number(service: str, registered: datetime) -> str:
    """A fresh number for ``service``; the caller retries on the rare collision."""
    return f"{service[0].upper()}{registered:%y%m%d}{secrets.randbelow(10**6):06d}"


def number_from_scan(text: str) -> str:
    """The number in what a QR reader or a typed field gave: a bare number or a link ending in one."""
    return text.strip().rstrip("/").split("/")[-1].strip()
