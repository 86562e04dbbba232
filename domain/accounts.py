"""Account names: one rule for the station's officers and the central record's staff."""

from __future__ import annotations

MAX_NAME = 64
NAME_PUNCTUATION = "._- "


def valid_account_name(name: str) -> bool:
    """Letters and digits of any script, and ``._-`` and spaces between them."""
    name = name.strip()
    return bool(name) and len(name) <= MAX_NAME and all(c.isalnum() or c in NAME_PUNCTUATION for c in name)
