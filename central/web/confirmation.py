"""An application's confirmation to keep: its QR code, a PDF, and the message that sends them.

The QR code holds the bare application number, a full-size QR symbol (never a Micro QR, which
segno would choose for so short a text and which the kiosk's OpenCV reader cannot read), so the
kiosk's ``QrReader`` and the console's lookup (``domain.applications.number_from_scan``) read it
back. The PDF (WeasyPrint) holds the number in text and as the QR code, the appointment and the
office, in the applicant's language. The e-mail goes through the SMTP server that
``BIOSTATION_SMTP`` names (``smtp://[user@]host[:port]?from=ADDRESS[&starttls=1]``, or
``smtps://``; the password in ``BIOSTATION_SMTP_PASSWORD``), with the PDF attached; an SMS gateway
plugs in as another :class:`Sender`.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import segno

from domain.catalog import render
from domain.errors import BiostationError

from ..offices import Application

SMTP_TIMEOUT_S = 15
# WeasyPrint's warnings quote the document's text (a glyph no font has: a letter of a name), and
# personal data stay out of the logs: only its errors are let through
logging.getLogger("weasyprint").setLevel(logging.ERROR)
# a plausible address: something@domain.tld, no spaces or angle brackets (the server decides the rest)
_ADDRESS = re.compile(r"^[^\s@<>,;:\"]{1,64}@[^\s@<>,;:\"]{1,190}\.[^\s@<>,;:\".]{2,63}$")


class SendFailed(BiostationError):
    """The confirmation could not be sent (the server refused it or did not answer)."""


def qr(number: str) -> segno.QRCode:
    # the highest error correction (H, 30 %): a creased printout or a cracked phone screen still reads,
    # and OpenCV's detector read every rendering of it tried (with M it missed 2 of 123 PDF renderings)
    return segno.make(number, error="h", micro=False)


def qr_data_uri(number: str, scale: int = 6) -> str:
    """The QR code as a PNG ``data:`` URI, for an ``<img>`` (the page's CSP allows ``data:`` images)."""
    return qr(number).png_data_uri(scale=scale, border=4)


def _when(found: Application, lang: str) -> str:
    from .portal import appointment_label  # portal renders the confirmation: imported when first used

    return appointment_label(found, lang)


def pdf(found: Application, lang: str) -> bytes:
    """The confirmation as a one-page PDF in ``lang``."""
    from weasyprint import HTML

    from .pages import environment

    def t(message_id: str, **params: object) -> str:
        return render(message_id, lang, **params)

    html = environment.get_template("portal/pdf.html").render(
        lang=lang, t=t, application=found, when=_when(found, lang), qr=qr_data_uri(found.number, scale=10))
    return HTML(string=html).write_pdf()


def plausible_address(text: str) -> bool:
    return len(text) <= 254 and bool(_ADDRESS.match(text))


class Sender(Protocol):
    """Sends an application's confirmation to an address (an e-mail address, a phone number)."""

    def send_confirmation(self, address: str, found: Application, lang: str) -> None: ...


@dataclass(frozen=True)
class Mailer:
    """The confirmation by e-mail, through one SMTP server."""

    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    tls: str = "none"  # none | starttls | implicit

    @staticmethod
    def configured() -> bool:
        return bool(os.environ.get("BIOSTATION_SMTP"))

    @classmethod
    def from_environment(cls) -> Mailer:
        return cls.from_url(os.environ.get("BIOSTATION_SMTP", ""), os.environ.get("BIOSTATION_SMTP_PASSWORD", ""))

    @classmethod
    def from_url(cls, url: str, password: str = "") -> Mailer:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname or not query.get("from"):
            raise SendFailed("portal.email_not_configured")
        implicit = parts.scheme == "smtps"
        tls = "implicit" if implicit else ("starttls" if query.get("starttls", ["0"])[0] in ("1", "yes") else "none")
        return cls(parts.hostname, parts.port or (465 if implicit else 25), query["from"][0],
                   unquote(parts.username or ""), password, tls)

    def message(self, address: str, found: Application, lang: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = address
        message["Subject"] = render("portal.email_subject", lang)
        message.set_content(render("portal.email_body", lang, number=found.number, when=_when(found, lang),
                                   office=found.office.name if found.office else "-", service=found.service))
        message.add_attachment(pdf(found, lang), maintype="application", subtype="pdf", filename="appointment.pdf")
        return message

    def send_confirmation(self, address: str, found: Application, lang: str) -> None:
        message = self.message(address, found, lang)
        try:
            if self.tls == "implicit":
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_S,
                                          context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_S)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed("portal.email_failed") from exc

