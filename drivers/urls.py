"""Device URLs (``scheme:path?key=value``), parsed once for every kind of device."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .errors import UnknownDeviceURL


@dataclass(frozen=True)
class DeviceURL:
    scheme: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def int_param(self, name: str, default: int) -> int:
        """An integer query parameter, decimal or 0x-hex (addresses are written in hex)."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw, 0)
        except ValueError as exc:
            raise UnknownDeviceURL(
                "device.bad_parameter", url=self.text, name=name, value=raw
            ) from exc


def parse_device_url(text: str, known: tuple[str, ...]) -> DeviceURL:
    scheme, sep, rest = text.partition(":")
    if not sep or scheme not in known:
        raise UnknownDeviceURL(url=text, known=", ".join(f"{k}:" for k in known))
    path, _, query = rest.partition("?")
    return DeviceURL(scheme=scheme, path=path, query=dict(parse_qsl(query)), text=text)
