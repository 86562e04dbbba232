"""The central record's staff: adjudicators and administrators, argon2 hashes, lockout, audit.

The same account rules as a station's officers (``domain.accounts``: folded names, the
SP 800-63B password policy) and the same lockout: an attempt counts as a failure in the
transaction that reads the lock (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite), so parallel guesses lock the account as sequential ones do; an unknown name
costs the same argon2 check as a known one. The back office's sign-ins are server-side sessions
(:func:`start_session`): idle and absolute expiry, ended by log-out.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, select, update

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


# -- the back office's sessions ------------------------------------------------------------------
# A signed-in browser holds a random token in an HttpOnly, SameSite=Strict cookie; the database
# keeps only its SHA-256, so a copy of the database opens no session. A session ends after
# SESSION_IDLE_MINUTES without a request (a desk left unattended) and SESSION_HOURS after log-in
# whatever happens (a stolen cookie does not live for ever), and at log-out; the role is read from
# the account at every request, so a changed role applies at once.
SESSION_IDLE_MINUTES = 30
SESSION_HOURS = 8


def _session_key(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(engine: Engine, member: StaffMember) -> str:
    """A new session for ``member`` (just authenticated), audited as ``login``; its token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(db.staff_sessions.insert().values(token_hash=_session_key(token), created_at=now,
                                                       staff_name=account_key(member.name), last_seen_at=now))
        audit(conn, member.name, "login", None, role=member.role)
    return token


def session_member(engine: Engine, token: str) -> StaffMember | None:
    """The staff member a session token names, its idle clock restarted; None when it is unknown,
    ended or expired (an expired row is deleted, and the end audited as ``session.expired``)."""
    if not token or len(token) > 128:
        return None
    key = _session_key(token)
    now = now_utc()
    s, t = db.staff_sessions, db.staff
    with engine.begin() as conn:
        row = conn.execute(select(s.c.created_at, s.c.last_seen_at, t.c.display_name, t.c.role)
                           .join(t, t.c.name == s.c.staff_name).where(s.c.token_hash == key)).first()
        if row is None:
            return None
        idle = now - _aware(row.last_seen_at) > timedelta(minutes=SESSION_IDLE_MINUTES)
        old = now - _aware(row.created_at) > timedelta(hours=SESSION_HOURS)
        if idle or old:
            conn.execute(delete(s).where(s.c.token_hash == key))
            audit(conn, row.display_name, "session.expired", None, reason="idle" if idle else "absolute")
            return None
        conn.execute(update(s).where(s.c.token_hash == key).values(last_seen_at=now))
    return StaffMember(row.display_name, row.role)


def end_session(engine: Engine, token: str) -> None:
    """Log-out: the session's row is deleted (the cookie alone opens nothing), audited as ``logout``."""
    if not token or len(token) > 128:
        return
    s, t = db.staff_sessions, db.staff
    key = _session_key(token)
    with engine.begin() as conn:
        row = conn.execute(select(t.c.display_name).join(s, t.c.name == s.c.staff_name)
                           .where(s.c.token_hash == key)).first()
        if row is not None:
            conn.execute(delete(s).where(s.c.token_hash == key))
            audit(conn, row.display_name, "logout", None)
