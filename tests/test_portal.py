"""The applicant portal over real HTTP: ``biostation central serve`` in its own process, a real
database (SQLite; PostgreSQL too with BIOSTATION_TEST_PG), plain HTTP clients that keep their own
cookies as browsers do.

What is checked: the booking from the first page to the confirmation (three pages, seven fields),
its QR code read back by the kiosk's reader from the page and from the PDF, names in any script,
each bad field answered beside the field in the reader's language with nothing stored, full and
shut slots, forged, replayed and oversized forms, the lookup's one answer for unknown and
mismatched, rescheduling and cancelling, the station's queue per office, the e-mail through a
loopback SMTP server, and the last place of a slot raced by many clients at once.
"""

from __future__ import annotations

import base64
import html
import re
import threading
from datetime import datetime, time, timedelta
from email import message_from_bytes, policy

import cv2
import httpx
import numpy as np
import pypdfium2
import pytest
from sqlalchemy import func, select

from central import db, offices
from central.db import connect
from central.store import issue_token
from station.central_link import CentralRefused, stop_server
from station.checkin import QrReader
from station.settings import load_settings
from station.station import Station
from tests.conftest import CentralProcess, run_cli

HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
OPTION = re.compile(r'<option value="(\d{4}-[^"]+)"')


class Applicant:
    """One browser: its own cookies (the CSRF cookie, the ``applicant`` cookie), forms read off the pages."""

    def __init__(self, url: str, lang: str = "id") -> None:
        self.client = httpx.Client(base_url=url, timeout=60, cookies={"lang": lang})

    def hidden(self, path: str, **params) -> tuple[dict, httpx.Response]:
        page = self.client.get(path, params=params)
        return dict(HIDDEN.findall(page.text)), page

    def book(self, office: offices.Office, slot: datetime | str, service: str = "passport", **fields) -> httpx.Response:
        form, _page = self.hidden("/book", office=str(office.id), service=service)
        form.update({"given_name": "Siti", "surname": "Rahayu", "birth_date": "1990-04-01", "consent": "yes",
                     "slot": slot if isinstance(slot, str) else slot.isoformat(timespec="minutes")})
        form.update(fields)
        return self.client.post("/book", data=form)

    def confirmation(self) -> tuple[str, httpx.Response]:
        page = self.client.get("/confirmation")
        found = re.search(r'id="application-number"[^>]*>([^<]+)<', page.text)
        return (found.group(1) if found else ""), page

    def close(self) -> None:
        self.client.close()


def errors(page: httpx.Response) -> dict[str, str]:
    """The message shown beside each field, by the field's name."""
    return {name: html.unescape(text) for name, text in re.findall(r'class="error" id="([a-z_]+)-error">([^<]+)<',
                                                                  page.text)}


def at(office: offices.Office, days: int, hour: int = 8, minute: int = 0) -> datetime:
    day = datetime.now(office.zone).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), office.zone)


def count(engine, **where) -> int:
    a = db.applications.c
    query = select(func.count()).select_from(db.applications)
    for column, value in where.items():
        query = query.where(a[column] == value)
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


def qr_text(image: np.ndarray) -> str | None:
    """What the kiosk's check-in reads from ``image`` (a BGR picture of a page)."""
    return QrReader()(image)


def pdf_pictures(data: bytes, scale: float = 2.0) -> tuple[list[np.ndarray], str]:
    """The PDF's pages rendered to BGR pixels (pdfium), and its text."""
    document = pypdfium2.PdfDocument(data)
    pictures, text = [], ""
    for page in document:
        pixels = page.render(scale=scale).to_numpy()
        pictures.append(cv2.cvtColor(pixels, cv2.COLOR_BGRA2BGR) if pixels.shape[2] == 4 else pixels)
        text += page.get_textpage().get_text_range()
    return pictures, text


@pytest.fixture
def portal(central):
    """The server, its database, and one office open every day 08:00-15:00 (WIB), 15-minute slots, 2 places."""
    engine = connect(central.db)
    office = offices.add_office(engine, "Kantor Imigrasi Jakarta Selatan", "08:00", "15:00", 15, 2, "WIB", "")
    yield central, engine, office
    engine.dispose()


def test_booking_takes_three_pages_and_the_qr_code_reads_back_from_page_and_pdf(portal):
    central, engine, office = portal
    applicant = Applicant(central.url)
    first = applicant.client.get("/")
    assert first.status_code == 200 and office.name in first.text and 'lang="id"' in first.text
    assert "strict-transport-security" not in first.headers  # plain HTTP on loopback: no HSTS
    second = applicant.client.get("/book", params={"office": office.id, "service": "passport"})
    fields = set(re.findall(r'<(?:input|select) id="([a-z_]+)"', first.text + second.text))
    assert fields == {"service", "office", "given_name", "surname", "birth_date", "slot", "consent"}  # 7 to fill
    slot = at(office, 1, 9, 30)
    answer = applicant.book(office, slot)
    assert answer.status_code == 303 and answer.headers["location"] == "/confirmation?done=booked"
    number, page = applicant.confirmation()
    assert page.status_code == 200 and re.fullmatch(r"P\d{12}", number)

    # the page's QR code (a data: URI in img#qr) is what the kiosk reads
    uri = re.search(r'<img id="qr" src="data:image/png;base64,([^"]+)"', page.text).group(1)
    picture = cv2.imdecode(np.frombuffer(base64.b64decode(uri), np.uint8), cv2.IMREAD_COLOR)
    assert qr_text(picture) == number

    # the PDF holds the number as text and as a QR code the kiosk's reader takes
    pdf = applicant.client.get("/confirmation.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert number not in pdf.headers.get("content-disposition", "")
    pictures, text = pdf_pictures(pdf.content)
    assert number in text and qr_text(pictures[0]) == number

    with engine.connect() as conn:
        row = conn.execute(select(db.applications).where(db.applications.c.number == number)).one()
    assert (row.office_id, row.status, row.privacy_notice) == (office.id, "booked", offices.PRIVACY_NOTICE)
    assert row.consent_at is not None and offices.application(engine, number).appointment_at == slot

    # another browser sees nothing of it
    stranger = Applicant(central.url)
    assert stranger.client.get("/confirmation").headers["location"] == "/status"
    assert stranger.client.get("/confirmation.pdf").status_code == 303


@pytest.mark.parametrize("given, surname", [
    ("Nguyễn Thị", "Minh"), ("Siobhán", "O'Brien-Smith"), ("Χρήστος", "Παπαδόπουλος"), ("محمد", "عبد الله"),
    ("देवी", "शर्मा"), ("Sukarno", ""), ("Jean‑Luc", "d’Arc")])
def test_names_in_any_script_are_taken_and_shown_as_written(portal, given, surname):
    central, engine, office = portal
    applicant = Applicant(central.url)
    assert applicant.book(office, at(office, 1), given_name=given, surname=surname).status_code == 303
    number, page = applicant.confirmation()
    shown = html.unescape(re.search(r"<dt>Nama</dt>\s*<dd>([^<]*)</dd>", page.text).group(1))
    assert shown == f"{given} {surname}"
    with engine.connect() as conn:
        row = conn.execute(select(db.applications).where(db.applications.c.number == number)).one()
    assert (row.given_name, row.surname) == (given, surname)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_each_bad_field_is_named_beside_it_in_the_readers_language_and_nothing_is_stored(portal, lang):
    from domain.catalog import render

    central, engine, office = portal
    applicant = Applicant(central.url, lang)
    page = applicant.book(office, at(office, -1), given_name="Robert'); DROP TABLE applications;--",
                          birth_date="1990-02-30", consent="")
    assert page.status_code == 422
    assert errors(page) == {
        "given_name": render("portal.bad_name", lang),
        "birth_date": render("application.birth_date_not_a_day", lang, value="1990-02-30"),
        "slot": render("portal.slot_past", lang),
        "consent": render("portal.consent_needed", lang)}
    assert 'aria-invalid="true"' in page.text and 'role="alert"' in page.text
    assert 'value="Robert&#39;); DROP TABLE applications;--"' in page.text  # kept, escaped, to correct
    for birth, message in (("2090-01-01", "application.birth_date_future"),
                           ("01/04/1990", "application.birth_date_format"),
                           ("1850-01-01", "application.birth_date_too_early")):
        page = applicant.book(office, at(office, 1), birth_date=birth)
        assert page.status_code == 422 and list(errors(page)) == ["birth_date"]
        assert errors(page)["birth_date"].startswith(render(message, lang, value=birth, earliest=1900)[:20])
    page = applicant.book(office, at(office, 1, 8, 7))  # not one of the office's slots
    assert errors(page) == {"slot": render("portal.choose_slot", lang)}
    page = applicant.book(office, at(office, offices.BOOKING_DAYS + 5))
    assert errors(page) == {"slot": render("portal.slot_too_far", lang, days=offices.BOOKING_DAYS)}
    form, _ = applicant.hidden("/book", office=str(office.id), service="passport")
    page = applicant.client.post("/book", data=dict(form, service="tourism", given_name="Siti", surname="Rahayu",
                                                    birth_date="1990-04-01", consent="yes",
                                                    slot=at(office, 1).isoformat(timespec="minutes")))
    assert page.status_code == 422 and errors(page) == {"service": render("portal.choose_service", lang)}
    assert count(engine) == 0


def test_a_full_slot_and_a_shut_day_are_refused_and_the_office_closed_weekdays_offer_nothing(portal):
    from domain.catalog import render

    central, engine, office = portal
    slot = at(office, 2, 10)
    for _ in range(office.capacity):
        assert Applicant(central.url).book(office, slot).status_code == 303
    late = Applicant(central.url, "en")
    page = late.book(office, slot)
    assert page.status_code == 409 and errors(page) == {"slot": render("portal.slot_full", "en")}
    assert slot.isoformat(timespec="minutes") not in page.text  # no longer offered

    holiday = at(office, 3)
    offices.set_day(engine, office, holiday.date(), closed=True)
    page = late.book(office, holiday)
    assert page.status_code == 422 and errors(page) == {"slot": render("portal.office_closed", "en")}
    assert holiday.date().isoformat() not in "".join(OPTION.findall(page.text))

    weekend = offices.add_office(engine, "Kantor Imigrasi Makassar", "08:00", "12:00", 30, 1, "WITA",
                                 "mon,tue,wed,thu,fri,sat")
    sunday = next(at(weekend, d) for d in range(1, 8) if at(weekend, d).weekday() == 6)
    form, page = late.hidden("/book", office=str(weekend.id), service="visa")
    offered = OPTION.findall(page.text)
    assert offered and all(datetime.fromisoformat(o).weekday() == 6 for o in offered)
    assert all(o.endswith("+08:00") for o in offered)  # WITA
    assert late.book(weekend, sunday - timedelta(days=1), service="visa").status_code == 422  # a Saturday
    assert late.book(weekend, sunday, service="visa").status_code == 303
    assert count(engine) == office.capacity + 1


def test_forged_replayed_and_oversized_forms_store_nothing_more(portal):
    central, engine, office = portal
    applicant = Applicant(central.url)
    form, _ = applicant.hidden("/book", office=str(office.id), service="passport")
    form.update({"given_name": "Siti", "surname": "Rahayu", "birth_date": "1990-04-01", "consent": "yes",
                 "slot": at(office, 1).isoformat(timespec="minutes")})
    assert applicant.client.post("/book", data=form).status_code == 303
    replay = applicant.client.post("/book", data=form)
    assert replay.status_code == 409 and "sudah pernah dikirim" in replay.text
    assert count(engine) == 1

    forged_id = dict(form, form_id="abc.1765000000." + "0" * 32)
    assert applicant.client.post("/book", data=forged_id).status_code == 403
    fresh, _ = applicant.hidden("/book", office=str(office.id), service="passport")
    no_csrf = {k: v for k, v in dict(form, form_id=fresh["form_id"]).items() if k != "csrf_token"}
    assert applicant.client.post("/book", data=no_csrf).status_code == 403
    other = Applicant(central.url)  # another browser's CSRF token is not this one's
    other_form, _ = other.hidden("/book", office=str(office.id), service="passport")
    assert applicant.client.post("/book", data=dict(form, csrf_token=other_form["csrf_token"],
                                                    form_id=fresh["form_id"])).status_code == 403
    big = dict(form, form_id=fresh["form_id"], given_name="S" * 20_000)
    assert applicant.client.post("/book", data=big).status_code == 413
    multipart = applicant.client.post("/book", data=dict(form, form_id=fresh["form_id"]),
                                      files={"x": ("x.txt", b"x")})
    assert multipart.status_code == 415
    assert count(engine) == 1


def test_lookup_gives_one_answer_for_unknown_and_mismatched_then_shows_only_its_own(portal):
    central, engine, office = portal
    owner = Applicant(central.url)
    owner.book(office, at(office, 1), birth_date="1985-07-17")
    number, _ = owner.confirmation()

    stranger = Applicant(central.url)
    form, _ = stranger.hidden("/status")
    unknown = stranger.client.post("/status", data=dict(form, number="P000000000000", birth_date="1985-07-17"))
    mismatch = stranger.client.post("/status", data=dict(form, number=number, birth_date="1985-07-18"))
    assert unknown.status_code == mismatch.status_code == 404
    assert unknown.text.replace("P000000000000", number) == mismatch.text  # nothing tells them apart
    assert stranger.client.get("/confirmation").status_code == 303

    found = stranger.client.post("/status", data=dict(form, number=f" {number.lower()} ", birth_date="1985-07-17"))
    assert found.status_code == 303 and number not in found.headers["location"]
    assert stranger.confirmation()[0] == number
    stranger.client.post("/status/forget", data=form)
    assert stranger.client.get("/confirmation").status_code == 303


def test_lookups_are_rate_limited(portal):
    central, _engine, _office = portal
    guesser = Applicant(central.url, "en")
    form, _ = guesser.hidden("/status")
    answers = [guesser.client.post("/status", data=dict(form, number=f"P26120600000{i % 10}", birth_date="1990-01-01"))
               .status_code for i in range(12)]
    assert answers[:10] == [404] * 10 and answers[10:] == [429, 429]


def test_bookings_are_rate_limited_per_client_before_anything_is_read(portal):
    central, engine, _office = portal
    flood = Applicant(central.url, "en")
    answers = [flood.client.post("/book", data={"given_name": "x"}).status_code for _ in range(22)]
    assert answers[:20] == [403] * 20 and answers[20:] == [429, 429]  # no CSRF token: refused, and counted
    assert "Please wait" in flood.client.post("/book", data={}).text
    assert count(engine) == 0


def test_reschedule_and_cancel_free_the_place_and_leave_the_queue(portal):
    central, engine, office = portal
    applicant = Applicant(central.url, "en")
    first, second = at(office, 1, 8), at(office, 2, 14, 45)
    assert applicant.book(office, first).status_code == 303
    number, _ = applicant.confirmation()
    form, page = applicant.hidden("/reschedule")
    assert second.isoformat(timespec="minutes") in page.text
    moved = applicant.client.post("/reschedule", data=dict(form, slot=second.isoformat(timespec="minutes")))
    assert moved.status_code == 303 and moved.headers["location"] == "/confirmation?done=rescheduled"
    assert offices.application(engine, number).appointment_at == second
    free = {s.start: s.free for s in offices.free_slots(engine, office)}
    assert free[first] == office.capacity and free[second] == office.capacity - 1

    form, page = applicant.hidden("/cancel")
    assert number in page.text
    cancelled = applicant.client.post("/cancel", data=form)
    assert cancelled.headers["location"] == "/confirmation?done=cancelled"
    assert offices.application(engine, number).status == "cancelled"
    assert {s.start: s.free for s in offices.free_slots(engine, office)}[second] == office.capacity
    _, page = applicant.confirmation()
    assert "Cancelled" in page.text and 'id="qr"' not in page.text
    assert applicant.client.get("/reschedule").headers["location"] == "/confirmation"
    assert applicant.client.post("/reschedule", data=dict(form, slot=first.isoformat(timespec="minutes"))) \
        .headers["location"] == "/confirmation"
    assert offices.application(engine, number).status == "cancelled"


def test_the_last_places_of_a_slot_go_to_exactly_capacity_of_many_racing_clients(portal):
    central, engine, office = portal
    slot = at(office, 1, 11)
    racers = 16  # within the registration burst of one client address (all come from 127.0.0.1)
    applicants = [Applicant(central.url) for _ in range(racers)]
    forms = []
    for i, applicant in enumerate(applicants):
        form, _ = applicant.hidden("/book", office=str(office.id), service="visa")
        form.update({"given_name": f"Racer{chr(65 + i)}", "surname": "Cepat", "birth_date": "1990-04-01",
                     "consent": "yes", "slot": slot.isoformat(timespec="minutes")})
        forms.append(form)
    start = threading.Barrier(racers)
    results: list[int] = [0] * racers

    def race(i: int) -> None:
        start.wait()
        results[i] = applicants[i].client.post("/book", data=forms[i]).status_code

    threads = [threading.Thread(target=race, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [303] * office.capacity + [409] * (racers - office.capacity)
    assert count(engine, status="booked") == office.capacity


def test_a_booking_is_in_its_offices_station_queue_and_its_pdf_qr_opens_it_at_the_console(portal):
    central, engine, office = portal
    other = offices.add_office(engine, "Kantor Imigrasi Denpasar", "08:00", "15:00", 30, 3, "WITA", "")
    applicant = Applicant(central.url)
    slot = at(other, 1, 9)
    assert applicant.book(other, slot, given_name="Ni Luh", surname="Putu", service="stay-permit").status_code == 303
    number, _ = applicant.confirmation()
    Applicant(central.url).book(office, at(office, 1, 9))  # in the default office, not this station's

    station = Station(load_settings())
    try:
        station.register(central.url, issue_token(engine, "counter 1", office=other.name))
        link = station.link()
        own_queue = link.appointments(slot.date(), "Asia/Jakarta")  # the office it was registered for
        assert [a["number"] for a in own_queue] == [number]
        assert link.appointments(slot.date(), "Asia/Jakarta", other.name) == own_queue
        with pytest.raises(CentralRefused) as refused:  # another office's queue, by its name
            link.appointments(slot.date(), "Asia/Jakarta", office.name)
        assert refused.value.message_id == "central.office_not_yours"

        pictures, _text = pdf_pictures(applicant.client.get("/confirmation.pdf").content)
        scanned = qr_text(pictures[0])  # the kiosk's reader on the printed confirmation
        application = station.applications().lookup(scanned)  # the console's lookup
        assert (application["number"], application["given_name"], application["surname"]) == (number, "Ni Luh", "Putu")
    finally:
        station.close()
    assert run_cli("central", "offices", "list", "--db", central.db, "--json").returncode == 0


def test_privacy_notice_in_both_languages_and_the_language_switch_keeps_the_page(portal):
    central, _engine, office = portal
    assert "27 Tahun 2022" in Applicant(central.url, "id").client.get("/privacy").text
    reader = Applicant(central.url, "en")
    assert "Law No. 27 of 2022" in reader.client.get("/privacy").text
    page = reader.client.get("/book", params={"office": office.id, "service": "visa"})
    switch = re.search(r'href="(/language/id\?next=[^"]+)"', page.text).group(1)
    back = reader.client.get(html.unescape(switch))
    assert back.status_code == 303 and back.headers["location"] == f"/book?office={office.id}&service=visa"
    assert 'lang="id"' in reader.client.get(back.headers["location"]).text


def test_offices_from_the_command_line(central_db):
    added = run_cli("central", "offices", "add", "--db", central_db, "--name", "Kantor Imigrasi Jayapura",
                    "--opens", "07:30", "--closes", "14:00", "--slot-minutes", "20", "--capacity", "3", "--zone", "WIT")
    assert added.returncode == 0, added.stderr
    assert '"timezone": "Asia/Jayapura"' in added.stdout and "WIT" in added.stderr
    refused = run_cli("central", "offices", "add", "--db", central_db, "--name", "X", "--opens", "15:00",
                      "--closes", "08:00", "--slot-minutes", "15", "--capacity", "4")
    assert refused.returncode != 0 and "no slot" in refused.stderr
    wrong_zone = run_cli("central", "offices", "add", "--db", central_db, "--name", "Y", "--opens", "08:00",
                         "--closes", "15:00", "--slot-minutes", "15", "--capacity", "4", "--timezone", "Mars/Olympus")
    assert wrong_zone.returncode != 0 and "WIB, WITA, WIT" in wrong_zone.stderr
    number = run_cli("central", "applications", "add", "--db", central_db, "--given-name", "Yohanes",
                     "--surname", "Wenda", "--birth-date", "1988-02-02", "--service", "passport",
                     "--office", "Kantor Imigrasi Jayapura").stdout.strip().splitlines()[-1]
    engine = connect(central_db)
    try:
        assert offices.application(engine, number).office.name == "Kantor Imigrasi Jayapura"
    finally:
        engine.dispose()
    unknown = run_cli("central", "applications", "add", "--db", central_db, "--given-name", "A", "--surname", "B",
                      "--birth-date", "1988-02-02", "--service", "passport", "--office", "Nowhere")
    assert unknown.returncode != 0 and "Nowhere" in unknown.stderr
    token = run_cli("central", "station-token", "--db", central_db, "--name", "loket 1",
                    "--office", "Kantor Imigrasi Jayapura")
    assert token.returncode == 0 and token.stdout.strip().startswith("bst_")
    assert run_cli("central", "station-token", "--db", central_db, "--name", "loket 2",
                   "--office", "Nowhere").returncode != 0


# -- the confirmation by e-mail, through a real SMTP server on loopback ----------------------------
@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    from station.embedded_central import free_port

    class Inbox:
        def __init__(self) -> None:
            self.messages: list = []

        async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
            return "250 OK"

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture
def mailing_portal(central_db, tmp_path, monkeypatch, smtp):
    port, inbox = smtp
    monkeypatch.setenv("BIOSTATION_SMTP", f"smtp://127.0.0.1:{port}?from=janji@imigrasi.example")
    server = CentralProcess(central_db, tmp_path / "central-home")
    server.start()
    engine = connect(central_db)
    office = offices.add_office(engine, "Kantor Imigrasi Surabaya", "08:00", "15:00", 15, 2, "WIB", "")
    yield server, engine, office, inbox
    engine.dispose()
    server.stop()


def test_the_confirmation_goes_by_email_with_its_pdf(mailing_portal):
    central, engine, office, inbox = mailing_portal
    applicant = Applicant(central.url, "en")
    applicant.book(office, at(office, 1, 13))
    number, page = applicant.confirmation()
    assert 'name="email"' in page.text
    form, _ = applicant.hidden("/confirmation")
    bad = applicant.client.post("/confirmation/email", data=dict(form, email="not an address"))
    assert bad.status_code == 422 and "email" in errors(bad)
    sent = applicant.client.post("/confirmation/email", data=dict(form, email="siti@example.com"))
    assert sent.status_code == 303 and sent.headers["location"] == "/confirmation?done=emailed"
    [(recipients, message)] = inbox.messages
    assert recipients == ["siti@example.com"] and message["From"] == "janji@imigrasi.example"
    assert number in message.get_body(("plain",)).get_content()
    [attachment] = list(message.iter_attachments())
    pictures, _ = pdf_pictures(attachment.get_content())
    assert qr_text(pictures[0]) == number


# -- HTTPS: central serve --tls-cert/--tls-key -------------------------------------------------------
def _self_signed(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import ipaddress
    from datetime import UTC

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_served_over_tls_the_pages_send_hsts_and_secure_cookies(tmp_path):
    import os
    import ssl
    import subprocess
    import time as clock

    from station.embedded_central import free_port
    from tests.conftest import BIOSTATION

    cert, key = _self_signed(tmp_path)
    port = free_port()
    env = dict(os.environ, BIOSTATION_HOME=str(tmp_path / "home"))
    server = subprocess.Popen(BIOSTATION + ["central", "serve", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--port",
                                            str(port), "--tls-cert", cert, "--tls-key", key],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = httpx.Client(base_url=f"https://127.0.0.1:{port}", verify=ssl.create_default_context(cafile=cert),
                          timeout=10)
    try:
        deadline = clock.monotonic() + 60  # a bounded wait for the start, not a measure of its speed
        while server.poll() is None and clock.monotonic() < deadline:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.HTTPError:
                clock.sleep(0.1)
        page = client.get("/")
        assert page.status_code == 200
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "secure" in page.headers["set-cookie"].lower()
        with pytest.raises(httpx.HTTPError):  # no plain HTTP on the TLS port
            httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        client.close()
        stop_server(server)
    half = run_cli("central", "serve", "--db", f"sqlite:///{tmp_path / 'd.db'}", "--tls-cert", cert)
    assert half.returncode != 0 and "--tls-key" in half.stderr
