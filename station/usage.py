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
