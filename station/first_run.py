"""A fresh station's first start: the office it serves, then its first supervisor's account.

The console shows it before anything else while the station has no account, so that nobody
needs to know a default password (there is none) or a command: the person setting the station
up names the office and makes the account that will approve exceptions and add the others.
No Qt here: the window shows these steps, the checks and the saving are this module's.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import BiostationError

from .central_link import CentralRefused, CentralUnreachable
from .officers import Officer, Strength, password_strength
from .settings import save_settings

MAX_OFFICE = 120


class FirstRunError(BiostationError):
    """A first-run form that cannot be accepted yet; the message says what to change."""


@dataclass(frozen=True)
class FirstRunForm:
    office: str
    name: str
    password: str
    repeat: str


def needs_first_run(station) -> bool:
    """True while the station has no account at all: only then may one be made without a supervisor."""
    return station.officers.count() == 0


def check_office(office: str) -> str:
    """The office's name as it will be stored: trimmed, one line, not empty."""
    office = " ".join(office.split())
    if not office:
        raise FirstRunError("console.office_needed")
    if len(office) > MAX_OFFICE:
        raise FirstRunError("console.office_too_long", length=MAX_OFFICE)
    return office


def strength(form: FirstRunForm) -> Strength:
    """What the strength meter shows for the password typed so far."""
    return password_strength(form.password, form.name.strip())


def problem(form: FirstRunForm) -> tuple[str, dict] | None:
    """The first thing that stops the form, as a catalog id and parameters; None when it can be saved.

    The checks run in the order the fields are filled, so the message always points at the
    earliest field to fix.
    """
    try:
        check_office(form.office)
    except FirstRunError as exc:
        return exc.message_id, exc.params
    if not form.name.strip():
        return "console.name_needed", {}
    rated = strength(form)
    if not rated.acceptable:
        return rated.message_id, rated.params
    if form.password != form.repeat:
        return "console.passwords_differ", {}
    return None


def check_office_known(station, office: str) -> None:
    """Refuse an office the central record does not know: the station's queue would stay empty.

    The station's queue is that office's bookings, fetched by its name; a name the central record
    does not have answers 404. While the central record cannot be reached the name is taken as
    typed (the queue says so once it is reachable again).
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = station.settings.timezone
    try:
        station.link().appointments(datetime.now(ZoneInfo(zone)).date(), zone, office)
    except CentralRefused as exc:
        if exc.status == 404:
            raise FirstRunError("console.office_unknown", office=office) from exc
        raise
    except CentralUnreachable:
        pass


def complete(station, form: FirstRunForm) -> Officer:
    """Store the office in the station's settings and make the first supervisor; returns that account.

    The account is made first: ``Officers.enlist`` makes a supervisor only while the station has no
    account, in the same transaction that checks it, so two windows racing through the first run
    cannot both succeed, and the loser's office is not written over the winner's.
    """
    found = problem(form)
    if found is not None:
        raise FirstRunError(found[0], **found[1])
    office = check_office(form.office)
    check_office_known(station, office)
    officer = station.officers.enlist(form.name.strip(), "supervisor", form.password, None)
    station.settings = save_settings(station.settings, office=office)
    station.audit.record(officer.name, "station.office", None, office=office)
    return officer
