"""What goes wrong in calibration, in the technician's terms: what to capture next."""

from __future__ import annotations

from domain.errors import BiostationError


class CalibrationError(BiostationError, ValueError):
    """A calibration step that cannot go on; the message says what to capture instead."""
