"""The acknowledgement slip an applicant takes home after enrollment: what it says, as data and HTML.

The slip is the applicant's proof that their photo and fingerprints were taken, and the key
they bring back: its QR code holds the application number alone, exactly what the kiosk's
check-in (``station.checkin.QrReader``) and the console's lookup read with
``domain.applications.number_from_scan``. It is built here, without Qt, from the finished
record, so the console's print button, the screenshots and a test all print the same slip;
``gui.slip_print`` only lays the HTML out on paper.

What it leaves out, on purpose: the birth date (the application number and the birth date
together are what the portal asks to reschedule or cancel an application, so a lost slip
holding both would let a finder do that; the applicant knows their own birth date), and every
biometric beyond the photo the applicant saw taken (no fingerprint images, no templates). The
name stays: it tells two slips apart at a family's counter visit and is on the applicant's own
documents anyway. Finger quality is printed so that an applicant whose prints were weak or
exempted knows why they may be asked to give them again.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo

import segno

from domain.catalog import render
from domain.fingers import FingerPosition
from enrollment.record import EnrollmentRecord

from .settings import Settings

# The QR code's error correction: M survives a crease or a smudge across 15 % of the code and
# keeps the symbol small enough (version 1 for a 13-character number) to read from a phone-sized
# kiosk camera frame.
QR_ERROR = "m"
QR_SCALE = 10  # pixels per module in the embedded PNG: sharp when printed at QR_WIDTH_PX
QR_WIDTH_PX = 150  # on the page, in the layout's 96-per-inch pixels: 40 mm, 1.4 mm a module, easy for any camera
PHOTO_WIDTH_PX = 132  # 35 mm, the passport photo's own width (the ISO crop is 7:9)
CONTENT_WIDTH_PX = 680  # 180 mm: A4 less 15 mm margins, in the layout's pixels; gui.slip_print maps it to the paper


@dataclass(frozen=True)
class SlipFinger:
    """One finger as the slip lists it: its NFIQ 2 score if a print was kept, and any exception."""

    position: FingerPosition
    nfiq2: int | None  # None: no print was taken (missing, injured, too young)
    exception: str | None = None  # "missing" | "injured" | "quality" | "age"


@dataclass(frozen=True)
class Slip:
    """Everything the printed slip shows, already chosen and ordered; no Qt, no I/O."""

    number: str
    given_name: str
    surname: str
    service: str
    photo_jpeg: bytes | None
    fingers: tuple[SlipFinger, ...]  # best print first, then the fingers without a print
    enrolled_at: datetime  # aware, in the office's time zone
    office: str
    officer: str
    station_id: str
    language: str = "id"
    approved_by: str | None = None  # the supervisor who approved the record's exceptions
    packet_id: str | None = None  # the submission's id, the station's reference when an applicant calls

    @property
    def qr_text(self) -> str:
        """What the QR code holds: the bare number, which ``number_from_scan`` returns unchanged."""
        return self.number


def rank_fingers(record: EnrollmentRecord) -> tuple[SlipFinger, ...]:
    """Kept prints by NFIQ 2, best first (ties in ISO order), then the fingers with no print.

    A print kept after its attempts ran out carries the "quality" exception beside its score;
    a finger that was never printed (missing, injured, too young) comes last, in ISO order.
    """
    reasons = {e.position: e.reason for e in record.exceptions}
    printed = sorted(record.fingers, key=lambda f: (-int(f.quality), int(f.position)))
    taken = {f.position for f in printed}
    ranked = [SlipFinger(f.position, int(f.quality), reasons.get(f.position)) for f in printed]
    ranked += [SlipFinger(p, None, reasons[p]) for p in sorted(reasons) if p not in taken]
    return tuple(ranked)


def _when(record: EnrollmentRecord, zone: str) -> datetime:
    """When the record was finished (or begun, for a slip printed from a record under review), locally."""
    stamp = record.finished_at or record.started_at
    moment = datetime.fromisoformat(stamp) if stamp else datetime.now(UTC)
    if moment.tzinfo is None:  # the flow writes UTC; a naive stamp is read as UTC too
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def slip_from_record(record: EnrollmentRecord, settings: Settings, officer: str | None = None,
                     language: str | None = None, packet_id: str | None = None) -> Slip:
    """The slip for a finished record at this station (office, time zone and, by default, language).

    ``officer`` defaults to the officer who enrolled (the record's); ``language`` to the station's,
    though the console passes the language its window shows, which the officer may have switched
    for the applicant.
    """
    application = record.application
    return Slip(
        number=str(application["number"]),
        given_name=str(application.get("given_name", "")),
        surname=str(application.get("surname", "")),
        service=str(application.get("service", "")),
        photo_jpeg=record.face.jpeg if record.face is not None else None,
        fingers=rank_fingers(record),
        enrolled_at=_when(record, settings.timezone),
        office=settings.office,
        officer=officer or record.officer,
        station_id=record.station_id,
        language=language or settings.language,
        approved_by=record.approval.supervisor if record.approval is not None else None,
        packet_id=packet_id,
    )


def qr_png(slip: Slip) -> bytes:
    """The QR code as a PNG (black on white, four modules of quiet zone as the standard asks).

    Always a full QR symbol, never the Micro QR that ``segno.make`` picks for short texts: the
    kiosk's reader (OpenCV's) and most phones do not read Micro QR.
    """
    out = io.BytesIO()
    segno.make_qr(slip.qr_text, error=QR_ERROR).save(out, kind="png", scale=QR_SCALE, border=4)
    return out.getvalue()


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _t(slip: Slip, message_id: str, **params: object) -> str:
    return render(f"slip.{message_id}", slip.language, **params)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def format_when(slip: Slip) -> str:
    """The date and time as people in the office write it: "6 Desember 2026, 21.53 WIB"."""
    t = slip.enrolled_at
    return _t(slip, "datetime", day=t.day, month=_t(slip, f"month.{t.month}"), year=t.year, hour=t.hour,
              minute=t.minute, zone=t.tzname() or "")


def _finger_rows(slip: Slip) -> str:
    rows = []
    for rank, finger in enumerate(slip.fingers, start=1):
        name = _capital(render(f"name.finger.{finger.position.slug}", slip.language))
        if finger.nfiq2 is None:
            place, score = "&ndash;", "&ndash;"
        else:
            place, score = str(rank), str(finger.nfiq2)
        note = _t(slip, f"exception.{finger.exception}") if finger.exception else ""
        shade = ' bgcolor="#f4f6f9"' if rank % 2 == 0 else ""
        rows.append(
            f"<tr{shade}><td align='center'>{place}</td><td>{escape(name)}</td>"
            f"<td align='center'><b>{score}</b></td><td>{escape(note)}</td></tr>")
    if not rows:
        rows.append(f"<tr><td colspan='4'>{escape(_t(slip, 'no_fingers'))}</td></tr>")
    return "\n".join(rows)


def slip_html(slip: Slip) -> str:
    """The slip as HTML in the subset Qt's QTextDocument lays out (tables, no CSS positioning).

    Images are embedded as data URIs (the QR code as PNG, the photo as the record's own JPEG), so
    the HTML is one self-contained string: the same in a print, a PDF and a screenshot. Sizes are
    in the layout's pixels, 96 to the inch, on a text column ``CONTENT_WIDTH_PX`` wide.
    """
    e = escape
    name = f"{slip.given_name} {slip.surname}".strip()
    service = render(f"name.service.{slip.service}", slip.language) if slip.service else ""
    if service.startswith("name.service."):  # a service the catalog does not name: shown as the record has it
        service = slip.service
    photo = (f"<img src='{_data_uri('image/jpeg', slip.photo_jpeg)}' width='{PHOTO_WIDTH_PX}' "
             f"height='{PHOTO_WIDTH_PX * 9 // 7}'>" if slip.photo_jpeg else e(_t(slip, "no_photo")))
    qr = f"<img src='{_data_uri('image/png', qr_png(slip))}' width='{QR_WIDTH_PX}' height='{QR_WIDTH_PX}'>"
    details = [
        ("applicant", name),
        ("service", _capital(service)),
        ("enrolled_at", format_when(slip)),
        ("office", slip.office or _t(slip, "office_unnamed")),
        ("officer", slip.officer),
        ("station", slip.station_id),
    ]
    if slip.approved_by:
        details.append(("approved_by", slip.approved_by))
    detail_rows = "\n".join(
        f"<tr><td width='42%' style='color:#4a5568'>{e(_t(slip, f'field.{key}'))}</td>"
        f"<td><b>{e(value)}</b></td></tr>" for key, value in details)
    if slip.packet_id:  # 32 hex digits: small and monospaced, so it stays on one line
        detail_rows += (f"\n<tr><td style='color:#4a5568'>{e(_t(slip, 'field.reference'))}</td><td "
                        f"style=\"font-family:'DejaVu Sans Mono'; font-size:11px\">{e(slip.packet_id)}</td></tr>")
    exceptions = any(f.exception for f in slip.fingers)
    return f"""<html><body style="font-family:'DejaVu Sans'; font-size:13px; color:#1a202c">
<table width="100%" cellspacing="0" cellpadding="0"><tr>
 <td style="font-size:12px; color:#4a5568; font-weight:bold">{e(_t(slip, 'country'))}</td>
 <td align="right" style="font-size:12px; color:#4a5568">{e(_t(slip, 'authority'))}</td>
</tr></table>
<table width="100%" cellspacing="0" cellpadding="10" bgcolor="#12355b" style="margin-top:6px"><tr><td>
 <span style="font-size:22px; font-weight:bold; color:#ffffff">{e(_t(slip, 'title'))}</span><br>
 <span style="font-size:13px; color:#dbe4f0">{e(slip.office or _t(slip, 'office_unnamed'))}</span>
</td></tr></table>

<table width="100%" cellspacing="0" cellpadding="0" bgcolor="#eef3f9" style="margin-top:14px"><tr>
 <td width="6" bgcolor="#12355b"></td>
 <td style="padding:12px" valign="middle">
  <span style="font-size:13px; color:#4a5568">{e(_t(slip, 'number_label'))}</span><br>
  <span style="font-family:'DejaVu Sans Mono'; font-size:34px; font-weight:bold">{e(slip.number)}</span>
  <p style="margin-top:8px; font-size:13px">{e(_t(slip, 'keep'))}</p>
 </td>
 <td width="{QR_WIDTH_PX + 24}" align="center" valign="middle" style="padding:10px">{qr}<br>
  <span style="font-size:11px; color:#4a5568">{e(_t(slip, 'qr_caption'))}</span></td>
</tr></table>

<table width="100%" cellspacing="0" cellpadding="0" style="margin-top:12px"><tr>
 <td width="{PHOTO_WIDTH_PX + 24}" valign="top">
  <table cellspacing="0" cellpadding="3" style="border-width:1px; border-style:solid; border-color:#a0aec0">
   <tr><td>{photo}</td></tr></table>
  <span style="font-size:11px; color:#4a5568">{e(_t(slip, 'photo_caption'))}</span>
 </td>
 <td valign="top">
  <table width="100%" cellspacing="0" cellpadding="3">{detail_rows}</table>
 </td>
</tr></table>

<p style="margin-top:12px; margin-bottom:6px; font-size:15px; font-weight:bold; color:#12355b">
 {e(_t(slip, 'fingers_heading'))}</p>
<table width="100%" cellspacing="0" cellpadding="3" style="border-width:1px; border-style:solid;
  border-color:#a0aec0; border-collapse:collapse">
 <tr bgcolor="#e2e8f0"><th width="10%">{e(_t(slip, 'rank'))}</th><th width="33%" align="left">
  {e(_t(slip, 'finger'))}</th><th width="23%">{e(_t(slip, 'nfiq2'))}</th>
  <th align="left">{e(_t(slip, 'note'))}</th></tr>
{_finger_rows(slip)}
</table>
<p style="font-size:11px; color:#4a5568">{e(_t(slip, 'nfiq2_explained'))}
{e(_t(slip, 'exceptions_explained')) if exceptions else ''}</p>

<table width="100%" cellspacing="0" cellpadding="0" style="margin-top:14px"><tr>
 <td width="55%" valign="bottom" style="font-size:11px; color:#4a5568">{e(_t(slip, 'privacy'))}</td>
 <td width="5%"></td>
 <td align="center" valign="bottom">
  <br><br>______________________________<br>
  <span style="font-size:12px">{e(_t(slip, 'officer_signature', officer=slip.officer))}</span></td>
</tr></table>
<p style="margin-top:12px; font-size:10px; color:#718096" align="center">{e(_t(slip, 'footer'))}</p>
</body></html>"""
