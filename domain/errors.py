"""The one error base class every layer raises for what a person must read.

An error carries a catalog message id and its parameters, never a sentence: the command
line and the windows render it in the reader's language (``domain.catalog.render_error``).
``str()`` stays the id and parameters, for logs.
"""

from __future__ import annotations


class BiostationError(Exception):
    """An error a person reads: a catalog ``message_id`` and its ``params``."""

    message_id = "error.unexpected"

    def __init__(self, message_id: str | None = None, **params: object) -> None:
        self.message_id = message_id or type(self).message_id
        self.params = dict(params)
        text = self.message_id + (" " + ", ".join(f"{k}={v}" for k, v in params.items()) if params else "")
        super().__init__(text)
