"""Officer accounts: roles, argon2 password hashes, lockout after repeated failures.

Five wrong passwords lock an account for fifteen minutes; the lock and every login,
success or failure, go to the audit log. Roles decide what a person may do: only a
supervisor approves exceptions and adds accounts, only a technician calibrates.

A station's first account is its supervisor; every later one is added by a supervisor
(``Officers.enlist``). Names are compared folded (``domain.accounts.account_key``), so
"Siti" and "siti" are one account, shown as first written. An attempt is counted in the
same transaction that reads the lock, before its password is checked, so parallel wrong
passwords lock the account as sequential ones do; an unknown name costs the same argon2
check as a known one, so the time an answer takes does not tell which names exist.
"""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import ARGON2_VERSION

from domain.accounts import MIN_PASSWORD, account_key, normalize_password, password_problem, valid_account_name
from domain.errors import BiostationError

from .audit import AuditLog
from .storage import Database

log = logging.getLogger("biostation.officers")

ROLES = ("officer", "supervisor", "technician")
MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
IDLE_LOCK_SECONDS = 5 * 60  # the console locks itself after this long without input

# name: as written, shown and audited; key: account_key(name), what logins and uniqueness compare
# (NULL only for the younger of two accounts whose names folded alike before names were folded)
SCHEMA = """
CREATE TABLE IF NOT EXISTS officers (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    key TEXT
)
"""


@dataclass(frozen=True)
class Strength:
    """How a password would fare, shown while it is typed: 0 (refused) to 4, with the words to show."""

    score: int
    message_id: str  # ``console.strength_<level>``, or the rule the password breaks
    params: dict
    acceptable: bool


def password_strength(password: str, name: str = "") -> Strength:
    """The password rules (``password_problem``) first, then length and variety for a score.

    Length counts for most (NIST SP 800-63B: a long phrase beats symbols); a mix of kinds of
    characters lifts a password that is only just long enough. Nothing here refuses more than
    the rules do: the score helps a person choose, the rules decide.
    """
    problem = password_problem(password, name)
    if problem is not None:
        return Strength(0, problem[0], problem[1], False)
    normalized = normalize_password(password)
    kinds = sum(any(test(c) for c in normalized) for test in (str.islower, str.isupper, str.isdigit,
                                                                lambda c: not c.isalnum()))
    unique = len(set(normalized.casefold()))
    score = 1 + (len(normalized) >= MIN_PASSWORD + 4) + (len(normalized) >= MIN_PASSWORD + 8 or kinds >= 3)
    if unique < 6:  # long but made of a few characters: "aabbaabbaabb"
        score = 1
    score = min(score, 3)
    level = ("fair", "good", "strong")[score - 1]
    return Strength(score + 1, f"console.strength_{level}", {}, True)


class AuthError(BiostationError):
    """A login or account change refused; the same words for unknown names and wrong passwords."""


@dataclass(frozen=True)
class Officer:
    name: str
    role: str

    def may(self, action: str) -> bool:
        allowed = {"enroll": ("officer", "supervisor"), "verify": ("officer", "supervisor"),
                   "approve": ("supervisor",), "calibrate": ("technician", "supervisor"),
                   "audit": ("supervisor",), "accounts": ("supervisor",)}
        return self.role in allowed.get(action, ())


def _stand_in_hash(hasher: PasswordHasher) -> str:
    """A hash no password matches, at the hasher's cost: checking an unknown name against it takes
    as long as checking a known one."""

    def random_b64(size: int) -> str:
        return base64.b64encode(os.urandom(size)).decode().rstrip("=")

    return (f"$argon2{hasher.type.name.lower()}$v={ARGON2_VERSION}"
            f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
            f"${random_b64(hasher.salt_len)}${random_b64(hasher.hash_len)}")


class Officers:
    def __init__(self, home: Path, audit: AuditLog) -> None:
        self.db = Database(home / "officers.db", SCHEMA)
        self.audit = audit
        self.hasher = PasswordHasher()
        self._stand_in = _stand_in_hash(self.hasher)
        self._upgrade()

    def _upgrade(self) -> None:
        """Give a station file made before names were folded its ``key`` column, filled from the names.

        Two old accounts whose names fold alike ("Siti" and "siti") cannot share a key: the older
        keeps it, the younger signs in by its exact name only, until a supervisor sorts the pair out.
        """
        with self.db.transaction() as conn:  # BEGIN IMMEDIATE: two processes opening an old file upgrade it once
            columns = {row["name"] for row in conn.execute("PRAGMA table_info(officers)")}
            if "key" not in columns:
                conn.execute("ALTER TABLE officers ADD COLUMN key TEXT")
                taken: dict[str, str] = {}
                for row in conn.execute("SELECT rowid, name FROM officers ORDER BY rowid").fetchall():
                    key = account_key(row["name"])
                    if key in taken:
                        log.warning("accounts '%s' and '%s' have names that read alike; '%s' signs in by its "
                                    "exact name only", taken[key], row["name"], row["name"])
                        continue
                    taken[key] = row["name"]
                    conn.execute("UPDATE officers SET key = ? WHERE rowid = ?", (key, row["rowid"]))
            conn.execute("CREATE UNIQUE INDEX IF NOT EXISTS officers_key ON officers (key)")

    @property
    def conn(self):
        """The calling thread's connection."""
        return self.db.conn

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM officers").fetchone()[0]

    def add(self, name: str, role: str, password: str, by: str = "setup") -> Officer:
        """A new account, made by ``by`` (for the audit log); who may add one is ``enlist``'s business."""
        return self._add(name, role, password, by, first=False)

    def enlist(self, name: str, role: str, password: str, supervisor: tuple[str, str] | None) -> Officer:
        """An account added as ``biostation officer add`` adds one: the station's first account is its
        supervisor, whatever ``role`` says and without ``supervisor`` (someone must be able to approve
        what follows); every later one needs a supervisor's name and password, and is audited as theirs.

        The supervisor signs in before anything about the new account is checked, so that a person
        without one learns nothing, not even whether a name is taken.
        """
        if self.count() == 0:
            try:
                return self._add(name, "supervisor", password, "setup", first=True)
            except AuthError as exc:
                if exc.message_id != "auth.needs_supervisor":
                    raise
                # another process made the first account meanwhile: this one needs a supervisor
        if supervisor is None:
            raise AuthError("auth.needs_supervisor")
        approver = self.authenticate(*supervisor)
        if not approver.may("accounts"):
            raise AuthError("auth.not_supervisor", name=approver.name)
        return self._add(name, role, password, approver.name, first=False)

    def _add(self, name: str, role: str, password: str, by: str, first: bool) -> Officer:
        """``first``: only while the station has no account (checked in the inserting transaction)."""
        name = name.strip()
        if not valid_account_name(name):
            raise AuthError("auth.bad_name")
        if role not in ROLES:
            raise AuthError("auth.bad_role", role=role, known=", ".join(ROLES))
        problem = password_problem(password, name)
        if problem is not None:
            raise AuthError(problem[0], **problem[1])
        key = account_key(name)
        hashed = self.hasher.hash(normalize_password(password))  # slow: before the write lock is taken
        with self.db.transaction() as conn:
            if first and conn.execute("SELECT 1 FROM officers LIMIT 1").fetchone():
                raise AuthError("auth.needs_supervisor")
            if conn.execute("SELECT 1 FROM officers WHERE key = ? OR name = ?", (key, name)).fetchone():
                raise AuthError("auth.exists", name=name)
            conn.execute("INSERT INTO officers (name, key, role, hash) VALUES (?, ?, ?, ?)",
                         (name, key, role, hashed))
        self.audit.record(by, "officer.add", None, officer=name, role=role, **({"first": True} if first else {}))
        return Officer(name, role)

    @staticmethod
    def _find(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
        """The account ``name`` folds to; else an unfolded twin from before names were folded, by its exact name."""
        return conn.execute("SELECT rowid, * FROM officers WHERE key = ? OR (key IS NULL AND name = ?) "
                            "ORDER BY key IS NULL LIMIT 1", (account_key(name), name.strip())).fetchone()

    def _verify(self, stored: str, password: str) -> bool:
        normalized = normalize_password(password)
        candidates = (normalized,) if normalized == password else (normalized, password)  # hashed as typed before
        for candidate in candidates:
            try:
                if self.hasher.verify(stored, candidate):
                    return True
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                continue
        return False

    def authenticate(self, name: str, password: str, now: float | None = None) -> Officer:
        """The officer, or ``AuthError``; the same message, and the same work, for unknown names and wrong passwords.

        The attempt counts as a failure from the moment it is let through, in the transaction that
        reads the lock: of any number of parallel attempts, the MAX_FAILURES-th locks the account and
        the ones after it are refused unchecked. A right password then clears the count.
        """
        now = time.time() if now is None else now
        locks = False
        with self.db.transaction() as conn:
            row = self._find(conn, name)
            locked = row is not None and row["locked_until"] > now
            if row is not None and not locked:
                failures = row["failures"] + 1
                locks = failures >= MAX_FAILURES
                conn.execute("UPDATE officers SET failures = ?, locked_until = ? WHERE rowid = ?",
                             (0 if locks else failures, now + LOCK_SECONDS if locks else 0, row["rowid"]))
        if row is None:
            self._verify(self._stand_in, password)  # never matches; takes as long as a known name's check
            self.audit.record(name or "-", "login.failed", None, reason="unknown")
            raise AuthError("auth.bad_credentials")
        if locked:
            self.audit.record(row["name"], "login.refused", None, reason="locked")
            raise AuthError("auth.locked", minutes=int((row["locked_until"] - now) // 60) + 1)
        if not self._verify(row["hash"], password):
            self.audit.record(row["name"], "login.failed", None, reason="password", locked=locks)
            raise AuthError("auth.locked" if locks else "auth.bad_credentials", minutes=LOCK_SECONDS // 60)
        with self.db.transaction() as conn:
            conn.execute("UPDATE officers SET failures = 0, locked_until = 0 WHERE rowid = ?", (row["rowid"],))
        self.audit.record(row["name"], "login", None, role=row["role"])
        return Officer(row["name"], row["role"])

    def close(self) -> None:
        self.db.close()
