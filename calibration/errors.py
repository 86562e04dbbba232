"""What goes wrong in calibration, in the technician's terms: what to capture next."""

from __future__ import annotations


class CalibrationError(ValueError):
    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params
