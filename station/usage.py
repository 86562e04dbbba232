"""A command used the wrong way: the sentence tells the person what to type instead."""

from __future__ import annotations


class UsageError(Exception):
    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params
