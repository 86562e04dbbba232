"""The central record's staff: adjudicators and administrators, argon2 hashes, lockout, audit.

The same account rules as a station's officers (``domain.accounts``: folded names, the
SP 800-63B password policy) and the same lockout: an attempt counts as a failure in the
transaction that reads the lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite), so parallel guesses lock the account as sequential ones do; an unknown name
costs the same argon2 check as a known one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, select, update

from domain.accounts import account_key, normalize_password, password_problem, valid_account_name

from . import db
from .store import CentralError, _aware, now_utc

ROLES = ("adjudicator", "admin")
MAX_FAILURES = 5
LOCK_MINUTES = 15
_hasher = PasswordHasher()
_STAND_IN = _hasher.hash("no password is this one")  # checked for unknown names, never matches


@dataclass(frozen=True)
class StaffMember:
    name: str
    role: str


def audit(conn, actor: str, action: str, subject: str | None = None, **detail: object) -> None:
    """One row of the central audit, in the caller's transaction (the act and its record together)."""
    conn.execute(db.central_audit.insert().values(at=now_utc(), actor=actor, action=action, subject=subject,
                                                  detail=json.dumps(detail, sort_keys=True) if detail else None))


def add_staff(engine: Engine, name: str, role: str, password: str, by: str = "command line") -> StaffMember:
    if not valid_account_name(name):
        raise CentralError(422, "auth.bad_name")
    if role not in ROLES:
        raise CentralError(422, "auth.bad_role", role=role, known=", ".join(ROLES))
    problem = password_problem(password, name)
    if problem:
        raise CentralError(422, problem[0], **problem[1])
    key = account_key(name)
    with engine.begin() as conn:
        if conn.execute(select(db.staff.c.name).where(db.staff.c.name == key)).first():
            raise CentralError(409, "auth.exists", name=name)
        conn.execute(db.staff.insert().values(name=key, display_name=name.strip(), role=role,
                                              password_hash=_hasher.hash(normalize_password(password)),
                                              failures=0, created_at=now_utc()))
        audit(conn, by, "staff.add", name.strip(), role=role)
    return StaffMember(name.strip(), role)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, normalize_password(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(engine: Engine, name: str, password: str) -> StaffMember:
    """The staff member, or ``CentralError`` 401 (the same for unknown names and wrong passwords) or 423."""
    now = now_utc()
    key = account_key(name or "")
    with engine.begin() as conn:
        query = select(db.staff).where(db.staff.c.name == key)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        locked = row is not None and row.locked_until is not None and _aware(row.locked_until) > now
        locks = False
        if row is not None and not locked:
            failures = row.failures + 1
            locks = failures >= MAX_FAILURES
            conn.execute(update(db.staff).where(db.staff.c.name == key).values(
                failures=0 if locks else failures,
                locked_until=now + timedelta(minutes=LOCK_MINUTES) if locks else None))
    if row is None:
        _verify(_STAND_IN, password)
        with engine.begin() as conn:
            audit(conn, "-", "login.failed", None, reason="unknown")
        raise CentralError(401, "auth.bad_credentials")
    if locked:
        with engine.begin() as conn:
            audit(conn, row.display_name, "login.refused", None, reason="locked")
        raise CentralError(423, "auth.locked", minutes=LOCK_MINUTES)
    if not _verify(row.password_hash, password):
        with engine.begin() as conn:
            audit(conn, row.display_name, "login.failed", None, reason="password", locked=locks)
        raise CentralError(423 if locks else 401, "auth.locked" if locks else "auth.bad_credentials",
                           minutes=LOCK_MINUTES)
    with engine.begin() as conn:
        conn.execute(update(db.staff).where(db.staff.c.name == key).values(failures=0, locked_until=None))
    return StaffMember(row.display_name, row.role)
