"""A command used the wrong way: the sentence tells the person what to type instead."""

from __future__ import annotations

from domain.errors import BiostationError


class UsageError(BiostationError):
    """A command line that cannot be carried out as typed."""
