"""A command used the wrong way: the sentence tells the person what to type instead."""

from __future__ import annotations

import argparse
import sys

from domain.errors import BiostationError


class UsageError(BiostationError):
    """A command line that cannot be carried out as typed."""


def password_from_stdin(args: argparse.Namespace) -> str:
    """The password a command was given on standard input (``--password-stdin``, never an argument:
    arguments show in the process list)."""
    if not args.password_stdin:
        raise UsageError("officer.password_stdin")
    return sys.stdin.readline().rstrip("\r\n")


def at_least_one(text: str) -> int:
    """argparse's type for a count of one or more (persons, workers, applicants)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value
