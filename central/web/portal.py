"""The applicant portal at ``/``: book an appointment, keep its confirmation, look it up, move or cancel it.

Three pages from the first to the confirmation: ``/`` (service and office), ``/book`` (name, birth
date, slot, consent), ``/confirmation`` (number, QR code, PDF, e-mail). ``/status`` finds an
application by number and birth date; ``/privacy`` is the notice under UU 27/2022.

No personal data ever travels in a URL or reaches a log line: forms are posted, and the pages
about one application read it from the ``applicant`` cookie (the number, an expiry and an HMAC
under this server's secret; HttpOnly, SameSite=Strict), which only a booking or a correct lookup
sets, so a browser sees no application but the one it booked or proved it knows. Every post
passes :func:`forms.check_csrf` and a rate limit, and is refused past :data:`MAX_FORM_BYTES`.
A booking form carries a one-time id (signed, with its time), spent in the booking's own
transaction, so a form sent twice or replayed stores one application.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from datetime import datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine

from domain.applications import SERVICES
from domain.catalog import render
from domain.errors import BiostationError

from .. import offices
from . import confirmation
from .forms import FormRefused, Rate, RateLimits, check_csrf
from .pages import language, page

log = logging.getLogger("biostation.central.portal")

MAX_FORM_BYTES = 8 * 1024  # the longest form (names, date, slot, ids) is well under 1 KB
APPLICANT_COOKIE = "applicant"
APPLICANT_LIFETIME_S = 30 * 60  # a confirmation or lookup stays open this long in its browser
FORM_ID = "form_id"
DONE = ("booked", "rescheduled", "cancelled", "emailed")  # the confirmation page's notes (``portal.done.*``)
RATES = {
    "register": Rate(per_minute=6, burst=20),  # an office's shared connection books a family at once
    "lookup": Rate(per_minute=6, burst=10),  # number + birth date guesses: slow after ten
    "change": Rate(per_minute=6, burst=10),  # reschedule, cancel
    "email": Rate(per_minute=2, burst=5),
}


# -- the applicant's cookie and the one-time form ids ---------------------------------------------
def _mac(secret: bytes, purpose: str, text: str) -> str:
    return hmac.new(secret, f"{purpose}|{text}".encode(), hashlib.sha256).hexdigest()[:32]


def applicant_cookie(secret: bytes, number: str, now: float | None = None) -> str:
    expires = int((now or time.time()) + APPLICANT_LIFETIME_S)
    return f"{number}.{expires}.{_mac(secret, 'applicant', f'{number}.{expires}')}"


def applicant_number(request: Request) -> str | None:
    """The application this browser may see (booked or looked up here, not expired), else None."""
    number, _, rest = request.cookies.get(APPLICANT_COOKIE, "").partition(".")
    expires, _, mac = rest.partition(".")
    if not number or not expires.isdigit() or int(expires) < time.time():
        return None
    expected = _mac(request.app.state.web_secret, "applicant", f"{number}.{expires}")
    return number if hmac.compare_digest(mac, expected) else None


def new_form_id(secret: bytes) -> str:
    nonce, issued = secrets.token_urlsafe(12), int(time.time())
    return f"{nonce}.{issued}.{_mac(secret, 'form', f'{nonce}.{issued}')}"


def check_form_id(request: Request, value: str) -> str:
    """A form id this server issued within the form's lifetime (403 otherwise: forged, or too old)."""
    nonce, _, rest = value.partition(".")
    issued, _, mac = rest.partition(".")
    secret = request.app.state.web_secret
    fresh = issued.isdigit() and time.time() - int(issued) < offices.FORM_LIFETIME.total_seconds()
    if not (nonce and fresh and hmac.compare_digest(mac, _mac(secret, "form", f"{nonce}.{issued}"))):
        raise FormRefused(403, "web.form_expired")
    return value


async def read_form(request: Request) -> dict[str, str]:
    """A posted form's fields, refused (413) past :data:`MAX_FORM_BYTES` and (415) unless url-encoded."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormRefused(413, "portal.too_large")
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise FormRefused(415, "portal.bad_form")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise FormRefused(413, "portal.too_large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormRefused(400, "portal.bad_form") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        form.setdefault(key, value)  # the first of a repeated field counts
    check_csrf(request, form)
    return form


# -- how slots and dates read -------------------------------------------------------------------
def when_label(when: datetime, lang: str, zone_label: str) -> str:
    """``Senin, 7 Desember 2026, 08.00 WIB`` / ``Monday 7 December 2026, 08:00 WIB``."""
    return render("portal.when", lang, weekday=render(f"portal.weekday.{when.weekday()}", lang), day=when.day,
                  month=render(f"portal.month.{when.month}", lang), year=when.year,
                  time=when.strftime("%H:%M" if lang == "en" else "%H.%M"), zone=zone_label)


def appointment_label(found, lang: str) -> str:
    """An application's appointment as ``when_label`` reads it, in its office's zone."""
    return when_label(found.appointment_at, lang, found.office.zone_label if found.office else "UTC")


def slot_groups(slots: list[offices.Slot], office: offices.Office, lang: str) -> list[tuple[str, list[dict]]]:
    """Free slots grouped by day for the ``<select>``'s ``<optgroup>``s."""
    groups: dict[str, list[dict]] = {}
    for slot in slots:
        day = render("portal.day", lang, weekday=render(f"portal.weekday.{slot.start.weekday()}", lang),
                     day=slot.start.day, month=render(f"portal.month.{slot.start.month}", lang), year=slot.start.year)
        clock = slot.start.strftime("%H:%M" if lang == "en" else "%H.%M")
        groups.setdefault(day, []).append({
            "value": slot.start.isoformat(timespec="minutes"),
            "label": render("portal.slot_option", lang, time=clock, zone=office.zone_label, free=slot.free)})
    return list(groups.items())


def _errors(request: Request, fields: dict[str, tuple[str, dict]]) -> dict[str, str]:
    lang = language(request)
    return {name: render(message_id, lang, **params) for name, (message_id, params) in fields.items()}


def routes(engine: Engine) -> APIRouter:
    """The portal's pages, bound to the central record's database."""
    router = APIRouter()
    limits = RateLimits(RATES)

    def start_page(request: Request, status: int = 200, errors: dict | None = None, values: dict | None = None):
        return page(request, "portal/start.html", status=status, offices=offices.list_offices(engine),
                    services=SERVICES, errors=errors or {}, values=values or {})

    def book_page(request: Request, office: offices.Office, status: int = 200, errors: dict | None = None,
                  values: dict | None = None):
        lang = language(request)
        slots = offices.free_slots(engine, office)
        return page(request, "portal/book.html", status=status, office=office, slots=slot_groups(slots, office, lang),
                    errors=errors or {}, values=values or {}, form_id=new_form_id(request.app.state.web_secret))

    @router.get("/")
    async def start(request: Request, office: str = "", service: str = ""):
        """The first page; ``office`` and ``service`` preselect a choice made before (the "change" link)."""
        return await run_in_threadpool(start_page, request, 200, None, {"office": office, "service": service})

    @router.get("/book")
    async def book_form(request: Request, office: str = "", service: str = ""):
        """The second page: the office and service come in the query (neither is personal data)."""
        if not office and not service:  # e.g. the language switched on a page posted to /book
            return RedirectResponse("/", status_code=303)
        errors: dict[str, tuple[str, dict]] = {}
        chosen = None
        try:
            chosen = await run_in_threadpool(offices.office_for_form, engine, office)
        except BiostationError as exc:
            errors["office"] = (exc.message_id, exc.params)
        if service not in SERVICES:
            errors["service"] = ("portal.choose_service", {})
        values = {"office": office, "service": service}
        if errors:
            return await run_in_threadpool(start_page, request, 422, _errors(request, errors), values)
        return await run_in_threadpool(book_page, request, chosen, 200, None, values)

    @router.post("/book")
    async def book(request: Request):
        limits.check("register", request)
        form = await read_form(request)
        form_id = check_form_id(request, form.get(FORM_ID, ""))

        def take() -> Response:
            try:
                booking = offices.check_booking(engine, form)
                number = offices.book(engine, booking, hashlib.sha256(form_id.encode()).hexdigest())
            except offices.FieldErrors as exc:
                office = None
                with contextlib.suppress(BiostationError):
                    office = offices.office_for_form(engine, form.get("office", ""))
                values = {k: form.get(k, "") for k in ("given_name", "surname", "birth_date", "service", "office",
                                                       "slot", "consent")}
                errors = _errors(request, exc.fields)
                if office is None or set(exc.fields) & {"service", "office"}:
                    return start_page(request, 422, errors, values)
                full = "slot" in exc.fields and exc.fields["slot"][0] == "portal.slot_full"
                return book_page(request, office, 409 if full else 422, errors, values)
            except offices.FormReplayed as exc:
                raise FormRefused(409, exc.message_id) from exc
            log.info("application booked online")  # no number or name: this line may be read by many
            response = RedirectResponse("/confirmation?done=booked", status_code=303)
            _remember(request, response, number)
            return response

        return await run_in_threadpool(take)

    @router.get("/confirmation")
    async def confirmation_page(request: Request, done: str = ""):
        number = applicant_number(request)
        if number is None:
            return RedirectResponse("/status", status_code=303)
        found = await run_in_threadpool(offices.application, engine, number)
        if found is None:
            return RedirectResponse("/status", status_code=303)
        lang = language(request)
        done = done if done in DONE else ""  # only the notes this portal sends its readers to
        return page(request, "portal/confirmation.html", application=found, done=done,
                    when=appointment_label(found, lang),
                    qr=confirmation.qr_data_uri(found.number), email_enabled=confirmation.Mailer.configured())

    @router.get("/confirmation.pdf")
    async def confirmation_pdf(request: Request):
        number = applicant_number(request)
        found = None if number is None else await run_in_threadpool(offices.application, engine, number)
        if found is None:
            return RedirectResponse("/status", status_code=303)
        pdf = await run_in_threadpool(confirmation.pdf, found, language(request))
        return Response(pdf, media_type="application/pdf", headers={
            "content-disposition": 'attachment; filename="appointment.pdf"', "cache-control": "no-store",
            "x-content-type-options": "nosniff"})

    @router.post("/confirmation/email")
    async def confirmation_email(request: Request):
        limits.check("email", request)
        form = await read_form(request)
        number = applicant_number(request)
        found = None if number is None else await run_in_threadpool(offices.application, engine, number)
        if found is None:
            return RedirectResponse("/status", status_code=303)
        address = form.get("email", "").strip()
        lang = language(request)
        if not confirmation.plausible_address(address):
            return page(request, "portal/confirmation.html", status=422, application=found, done="",
                        when=appointment_label(found, lang),
                        qr=confirmation.qr_data_uri(found.number), email_enabled=confirmation.Mailer.configured(),
                        errors={"email": render("portal.bad_email", lang)}, values={"email": address})
        try:
            await run_in_threadpool(confirmation.Mailer.from_environment().send_confirmation, address, found, lang)
        except confirmation.SendFailed as exc:
            raise FormRefused(503, exc.message_id) from exc
        return RedirectResponse("/confirmation?done=emailed", status_code=303)

    @router.get("/status")
    async def status_form(request: Request):
        return page(request, "portal/status.html", errors={}, values={})

    @router.post("/status")
    async def status_lookup(request: Request):
        limits.check("lookup", request)
        form = await read_form(request)
        found = await run_in_threadpool(offices.find, engine, form.get("number", ""), form.get("birth_date", ""))
        if found is None:
            # the same answer whether the number is unknown or the birth date wrong
            return page(request, "portal/status.html", status=404, not_found=True, errors={},
                        values={"number": form.get("number", "")[:32]})
        response = RedirectResponse("/confirmation", status_code=303)
        _remember(request, response, found.number)
        return response

    @router.post("/status/forget")
    async def forget(request: Request):
        await read_form(request)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(APPLICANT_COOKIE, path="/")
        return response

    @router.get("/reschedule")
    async def reschedule_form(request: Request):
        number = applicant_number(request)
        found = None if number is None else await run_in_threadpool(offices.application, engine, number)
        if found is None or found.status != "booked" or found.office is None:
            return RedirectResponse("/confirmation" if found else "/status", status_code=303)
        return await run_in_threadpool(_reschedule_page, request, engine, found, 200, {})

    @router.post("/reschedule")
    async def reschedule(request: Request):
        limits.check("change", request)
        form = await read_form(request)
        number = applicant_number(request)
        if number is None:
            return RedirectResponse("/status", status_code=303)

        def move() -> Response:
            try:
                offices.reschedule(engine, number, form.get("slot", ""))
            except offices.FieldErrors as exc:
                found = offices.application(engine, number)
                return _reschedule_page(request, engine, found, 409 if exc.fields["slot"][0] == "portal.slot_full"
                                        else 422, _errors(request, exc.fields))
            except BiostationError:
                return RedirectResponse("/confirmation", status_code=303)
            log.info("application rescheduled online")
            return RedirectResponse("/confirmation?done=rescheduled", status_code=303)

        return await run_in_threadpool(move)

    @router.get("/cancel")
    async def cancel_form(request: Request):
        number = applicant_number(request)
        found = None if number is None else await run_in_threadpool(offices.application, engine, number)
        if found is None or found.status != "booked":
            return RedirectResponse("/confirmation" if found else "/status", status_code=303)
        lang = language(request)
        return page(request, "portal/cancel.html", application=found,
                    when=appointment_label(found, lang))

    @router.post("/cancel")
    async def cancel(request: Request):
        limits.check("change", request)
        await read_form(request)
        number = applicant_number(request)
        if number is None:
            return RedirectResponse("/status", status_code=303)
        if await run_in_threadpool(offices.cancel, engine, number):
            log.info("application cancelled online")
        return RedirectResponse("/confirmation?done=cancelled", status_code=303)

    @router.get("/privacy")
    async def privacy(request: Request):
        return page(request, "portal/privacy.html", notice_version=offices.PRIVACY_NOTICE)

    return router


def _reschedule_page(request: Request, engine: Engine, found: offices.Application, status: int, errors: dict):
    lang = language(request)
    slots = offices.free_slots(engine, found.office)
    return page(request, "portal/reschedule.html", status=status, application=found, office=found.office,
                when=appointment_label(found, lang),
                slots=slot_groups(slots, found.office, lang), errors=errors, values={})


def _remember(request: Request, response: Response, number: str) -> None:
    """Let this browser see ``number``'s pages for a while (the signed ``applicant`` cookie)."""
    response.set_cookie(APPLICANT_COOKIE, applicant_cookie(request.app.state.web_secret, number),
                        max_age=APPLICANT_LIFETIME_S, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
