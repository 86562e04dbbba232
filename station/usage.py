"""A command used the wrong way: the sentence tells the person what to type instead."""

from __future__ import annotations

from enrollment.catalog import CatalogError


class UsageError(CatalogError):
    """A command line that cannot be carried out as typed."""
