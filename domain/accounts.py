"""Account names and passwords: one rule for the station's officers and the central record's staff.

Two names that a person reads as the same ("Siti", "siti", fullwidth "ｓｉｔｉ") are one account:
names are compared by ``account_key`` and kept as written for display. Passwords follow NIST
SP 800-63B: long enough (counted after NFKC, the form that is hashed), not on a list of breached
or trivial passwords, not the account name, and no composition rules, which push people towards
predictable patterns rather than strong secrets.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib import resources

MAX_NAME = 64
NAME_PUNCTUATION = "._- "
MIN_PASSWORD = 12
COMMON_PASSWORDS = "common_passwords.json"  # package data beside this module


def valid_account_name(name: str) -> bool:
    """Letters and digits of any script, and ``._-`` and spaces between them."""
    name = name.strip()
    return bool(name) and len(name) <= MAX_NAME and all(c.isalnum() or c in NAME_PUNCTUATION for c in name)


def account_key(name: str) -> str:
    """The form names are compared in: NFKC, case-folded (NFKC again, as Unicode's NFKC_Casefold does),
    runs of spaces as one, no spaces at the ends."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def normalize_password(password: str) -> str:
    """The form a password is measured and hashed in, so one typed on another keyboard or system still matches."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    """The breached passwords of ``MIN_PASSWORD`` characters or more, in ``account_key``'s folded form."""
    text = resources.files(__package__).joinpath(COMMON_PASSWORDS).read_text(encoding="utf-8")
    return frozenset(json.loads(text)["passwords"])


def _alnum(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _trivial(folded: str) -> bool:
    """One short unit over and over ("            ", "abcabcabcabc") or a straight run ("abcdefghijkl")."""
    for size in range(1, 5):
        unit = folded[:size]
        if (unit * (len(folded) // size + 1))[: len(folded)] == folded:
            return True
    steps = {ord(b) - ord(a) for a, b in zip(folded, folded[1:], strict=False)}
    return len(steps) == 1 and abs(next(iter(steps))) == 1


def password_problem(password: str, name: str = "") -> tuple[str, dict] | None:
    """Why ``password`` may not be used for account ``name``: a catalog message id and its parameters; None if fine."""
    normalized = normalize_password(password)
    if len(normalized) < MIN_PASSWORD:
        return "auth.weak_password", {"length": MIN_PASSWORD}
    folded = account_key(normalized)
    if name and _alnum(folded) == _alnum(account_key(name)):
        return "auth.password_is_name", {}
    if folded in common_passwords() or _trivial(unicodedata.normalize("NFKC", normalized.casefold())):
        return "auth.common_password", {}
    return None
