"""The counter's working day, as the console shows it: today's queue and the records awaiting approval.

A counter sees some 300 applicants a day, so the queue is a table the officer sorts and
searches, each row in the office's own time (``Settings.timezone``, never UTC) with where that
application stands at this counter. Records with exceptions wait for a supervisor in one queue
across applicants, and a supervisor approves several at once with one sign-in, instead of being
called to the counter for every record. No Qt here: the console's table and its approvals page
are views of these objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from zoneinfo import ZoneInfo

from enrollment.flow import FlowError, Step

from .parked import ParkedRecords

log = logging.getLogger("biostation.counter")


class Status(Enum):
    """Where an application stands at this counter today."""

    WAITING = "waiting"  # booked, not yet called
    IN_PROGRESS = "in_progress"  # being enrolled now
    AWAITING_APPROVAL = "awaiting_approval"  # captured, exceptions wait for a supervisor
    SUBMITTED = "submitted"  # sealed into the outbox


@dataclass(frozen=True)
class QueueRow:
    number: str
    name: str
    service: str  # the service's slug; the view renders ``name.service.<slug>``
    time: str  # HH:MM in the office's time zone ("" for no appointment)
    status: Status
    birth_date: str = ""

    def matches(self, text: str) -> bool:
        """The search box: every word typed appears in the number, the name or the time."""
        haystack = f"{self.number} {self.name} {self.time}".casefold()
        return all(word in haystack for word in text.casefold().split())


def local_time(stamp: str, zone: str) -> str:
    """An ISO date-time (the central record sends UTC) as HH:MM in the office's zone."""
    if not stamp:
        return ""
    when = datetime.fromisoformat(stamp)
    if when.tzinfo is None:  # an old cache entry without an offset is UTC, as the central record stores it
        when = when.replace(tzinfo=UTC)
    return when.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def queue_rows(listing: list[dict], zone: str, statuses: dict[str, Status]) -> list[QueueRow]:
    """Today's appointments as rows, in appointment order, each with its status at this counter."""
    rows = [QueueRow(a["number"], f"{a.get('given_name', '')} {a.get('surname', '')}".strip(), a.get("service", ""),
                     local_time(a.get("appointment_at", ""), zone), statuses.get(a["number"], Status.WAITING),
                     a.get("birth_date", ""))
            for a in listing]
    return sorted(rows, key=lambda r: (r.time, r.number))


@dataclass
class ApprovalOutcome:
    approved: list[str] = field(default_factory=list)  # application numbers approved and sealed into the outbox
    failed: dict[str, str] = field(default_factory=dict)  # number: message id of why not


class Counter:
    """This console's day: the statuses it has seen and the enrollments waiting for a supervisor.

    Waiting records are kept sealed in the station's home (``station.parked``) as they are parked,
    so closing the console, or a crash, loses none: the next start takes them up again (``resume``).
    """

    def __init__(self, parked: ParkedRecords | None = None) -> None:
        self.statuses: dict[str, Status] = {}
        self.pending: dict[str, object] = {}  # application number: its ``station.enrollment.Enrollment``
        self.parked = parked

    def resume(self, awaiting_approval: Callable[[object], object]) -> list[str]:
        """The records an earlier run parked, waiting again (``awaiting_approval(record)`` makes each one's
        enrollment); returns the numbers of those that cannot be read back: to be enrolled again."""
        if self.parked is None:
            return []
        records, unreadable = self.parked.records()
        for record in records:
            number = record.application["number"]
            self.pending[number] = awaiting_approval(record)
            self.statuses[number] = Status.AWAITING_APPROVAL
        return unreadable

    def started(self, number: str) -> None:
        self.statuses[number] = Status.IN_PROGRESS

    def submitted(self, number: str) -> None:
        self.statuses[number] = Status.SUBMITTED
        self.pending.pop(number, None)
        if self.parked is not None:
            self.parked.remove(number)

    def park(self, enrollment) -> str:
        """Hand an enrollment that needs approval to the supervisors' queue; the officer moves on.

        Written to the sealed store first: if that fails, the record stays with the officer.
        """
        if enrollment.flow.step is not Step.APPROVAL:
            raise ValueError("only a record awaiting approval can wait for a supervisor")
        number = enrollment.record.application["number"]
        if self.parked is not None:
            self.parked.put(enrollment.record)
        self.pending[number] = enrollment
        self.statuses[number] = Status.AWAITING_APPROVAL
        return number

    def waiting(self) -> list:
        """The enrollments awaiting approval, oldest first."""
        return list(self.pending.values())

    def approve(self, officers, numbers: list[str], supervisor: str, password: str) -> ApprovalOutcome:
        """One supervisor sign-in approves every listed record, and each is sealed into the outbox.

        The password is checked once, before any record is touched: a wrong one changes nothing
        (``AuthError``). A record that then fails on its own (a full disk) stays in the queue with
        the reason, and the others go ahead.
        """
        approver = officers.authenticate(supervisor, password)
        if not approver.may("approve"):
            raise FlowError("flow.not_supervisor", name=approver.name)
        outcome = ApprovalOutcome()
        for number in numbers:
            enrollment = self.pending.get(number)
            if enrollment is None:
                continue
            try:
                enrollment.flow.approve(approver)
                enrollment.submit()
            except Exception as exc:  # one record's trouble must not stop the batch
                log.warning("approval of %s failed: %s", number, exc)
                outcome.failed[number] = getattr(exc, "message_id", "error.unexpected")
                continue
            self.submitted(number)
            outcome.approved.append(number)
        return outcome
