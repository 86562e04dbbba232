"""Applications as every layer names them: the services an office offers and the number format.

An application number is the service's letter, the registration date (YYMMDD) and six random
digits (``P261206048213``). The portal prints it as a QR code, the kiosk and the console read it
back with ``number_from_scan``, and the central record makes new ones with ``new_number``.
"""

from __future__ import annotations

import secrets
from datetime import datetime

SERVICES = ("passport", "passport-renewal", "visa", "stay-permit")


def new_number(service: str, registered: datetime) -> str:
    """A fresh number for ``service``; the caller retries on the rare collision."""
    return f"{service[0].upper()}{registered:%y%m%d}{secrets.randbelow(10**6):06d}"


def number_from_scan(text: str) -> str:
    """The number in what a QR reader or a typed field gave: a bare number or a link ending in one."""
    return text.strip().rstrip("/").split("/")[-1].strip()
