"""Officer accounts: roles, argon2 password hashes, lockout after repeated failures.

Five wrong passwords lock an account for fifteen minutes; the lock and every login,
success or failure, go to the audit log. Roles decide what a person may do: only a
supervisor approves exceptions, only a technician calibrates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.accounts import valid_account_name
from domain.errors import BiostationError

from .audit import AuditLog
from .storage import Database

ROLES = ("officer", "supervisor", "technician")
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
MIN_PASSWORD = 8
IDLE_LOCK_SECONDS = 5 * 60  # the console locks itself after this long without input

SCHEMA = """
CREATE TABLE IF NOT EXISTS officers (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0
)
"""


class AuthError(BiostationError):
    """A login or account change refused; the same words for unknown names and wrong passwords."""


@dataclass(frozen=True)
class Officer:
    name: str
    role: str

    def may(self, action: str) -> bool:
        allowed = {"enroll": ("officer", "supervisor"), "verify": ("officer", "supervisor"),
                   "approve": ("supervisor",), "calibrate": ("technician", "supervisor"),
                   "audit": ("supervisor",)}
        return self.role in allowed.get(action, ())


class Officers:
    def __init__(self, home: Path, audit: AuditLog) -> None:
        self.db = Database(home / "officers.db", SCHEMA)
        self.audit = audit
        self.hasher = PasswordHasher()

    @property
    def conn(self):
        """The calling thread's connection."""
        return self.db.conn

    def add(self, name: str, role: str, password: str, by: str = "setup") -> Officer:
        name = name.strip()
        if not valid_account_name(name):
            raise AuthError("auth.bad_name")
        if role not in ROLES:
            raise AuthError("auth.bad_role", role=role, known=", ".join(ROLES))
        if len(password) < MIN_PASSWORD:
            raise AuthError("auth.weak_password", length=MIN_PASSWORD)
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM officers WHERE name = ?", (name,)).fetchone():
                raise AuthError("auth.exists", name=name)
            conn.execute("INSERT INTO officers (name, role, hash) VALUES (?, ?, ?)",
                         (name, role, self.hasher.hash(password)))
        self.audit.record(by, "officer.add", None, officer=name, role=role)
        return Officer(name, role)

    def authenticate(self, name: str, password: str, now: float | None = None) -> Officer:
        """The officer, or ``AuthError``; the same message for unknown names and wrong passwords."""
        now = time.time() if now is None else now
        row = self.conn.execute("SELECT * FROM officers WHERE name = ?", (name,)).fetchone()
        if row is None:
            self.audit.record(name or "-", "login.failed", None, reason="unknown")
            raise AuthError("auth.bad_credentials")
        if row["locked_until"] > now:
            self.audit.record(name, "login.refused", None, reason="locked")
            raise AuthError("auth.locked", minutes=int((row["locked_until"] - now) // 60) + 1)
        try:
            self.hasher.verify(row["hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            failures = row["failures"] + 1
            locked = now + LOCK_SECONDS if failures >= MAX_FAILURES else 0
            with self.db.transaction() as conn:
                conn.execute("UPDATE officers SET failures = ?, locked_until = ? WHERE name = ?",
                             (0 if locked else failures, locked, name))
            self.audit.record(name, "login.failed", None, reason="password", locked=bool(locked))
            raise AuthError("auth.locked" if locked else "auth.bad_credentials",
                            minutes=LOCK_SECONDS // 60) from None
        with self.db.transaction() as conn:
            conn.execute("UPDATE officers SET failures = 0, locked_until = 0 WHERE name = ?", (name,))
        self.audit.record(name, "login", None, role=row["role"])
        return Officer(row["name"], row["role"])

    def close(self) -> None:
        self.db.close()
