"""Device errors that say, in the user's terms, what is wrong and what to do.

Each carries a catalog ``message_id`` and parameters; ``str()`` stays an English
sentence for logs. Callers catch ``DeviceError`` and never see a serial exception.
"""

from __future__ import annotations

from domain.errors import BiostationError


class DeviceError(BiostationError):
    message_id = "device.error"

    def __init__(self, message_id: str | None = None, detail: str = "", **params: object) -> None:
        super().__init__(message_id, **params)
        self.detail = detail
        if detail:
            self.args = (f"{self.args[0]} ({detail})",)


class UnknownDeviceURL(DeviceError):
    message_id = "device.unknown_scheme"


class DeviceNotFound(DeviceError):
    message_id = "device.not_found"


class DeviceBusy(DeviceError):
    message_id = "device.busy"


class DeviceTimeout(DeviceError):
    """The device did not answer within its bound; the next call may succeed."""

    message_id = "device.timeout"


class DeviceProtocolError(DeviceError):
    """The device answered with something that is not a valid packet (noise, lost bytes)."""

    message_id = "device.garbled"


class CaptureCancelled(DeviceError):
    message_id = "device.cancelled"


class BadImageSource(DeviceError):
    message_id = "device.bad_images"
