"""The applicant portal in a real browser (Debian's Chromium through Playwright) on a 360-px phone.

One applicant books from the first page to the confirmation with the keyboard and the labels a
screen reader announces, switches to English, moves the appointment and cancels it; another finds
it with the status page. On every page axe-core's WCAG 2.1 A/AA rules find no serious or critical
violation and nothing is wider than the phone.

With ``BIOSTATION_WEB_SCREENSHOTS=DIR`` each page is saved as ``DIR/portal_<page>.png``
(``docs/screenshots/web`` in the repository: see docs/web.md); otherwise into the test's folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from central import offices
from central.db import connect
from tests.browser import PHONE, accessibility_violations

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("BIOSTATION_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def portal(central):
    engine = connect(central.db)
    offices.add_office(engine, "Kantor Imigrasi Jakarta Selatan", "08:00", "15:00", 15, 4, "WIB", "sun")
    offices.add_office(engine, "Kantor Imigrasi Makassar", "08:00", "12:00", 30, 2, "WITA")
    yield central
    engine.dispose()


def checked(page, shots: Path, name: str) -> None:
    """The page as it is now: no serious accessibility violation, not wider than the phone; saved."""
    assert accessibility_violations(page) == [], name
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert page.locator("html").get_attribute("lang") in ("id", "en")
    page.screenshot(path=str(shots / f"portal_{name}.png"), full_page=True)


def test_book_switch_language_reschedule_cancel_and_look_up_on_a_phone(portal, chromium, shots):  # noqa: F811
    context = chromium.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.goto(portal.url + "/")
    checked(page, shots, "start")

    # the first page: service and office, chosen by their labels, sent with the keyboard
    page.get_by_label("Layanan").select_option("passport")
    page.get_by_label("Kantor", exact=True).select_option(index=1)  # offices are listed by name: Jakarta Selatan first
    page.get_by_label("Kantor", exact=True).press("Tab")  # to the button, and Enter on it
    assert page.evaluate("document.activeElement.textContent.trim()") == "Lanjut"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/book\?"))
    checked(page, shots, "book")

    # sent empty: every field says what it needs, beside it; the summary links to each
    page.get_by_role("button", name="Pesan janji temu ini").click()
    page.wait_for_load_state()
    assert page.locator("#error-summary a").count() == 4  # given name, birth date, slot, consent
    assert page.locator("#given_name").get_attribute("aria-invalid") == "true"
    checked(page, shots, "book-errors")

    page.get_by_label("Nama depan").fill("Nguyễn Thị")
    page.get_by_label("Nama belakang").fill("O'Brien-Rahayu")
    page.get_by_label("Tanggal lahir").fill("1990-04-01")
    page.get_by_label("Tanggal dan jam").select_option(index=3)
    page.get_by_label("Saya setuju", exact=False).check()
    page.get_by_label("Tanggal lahir").press("Enter")
    page.wait_for_url(re.compile(r"/confirmation"))
    number = page.locator("#application-number").inner_text()
    assert re.fullmatch(r"P\d{12}", number)
    assert page.locator("img#qr").evaluate("img => img.complete && img.naturalWidth > 0")
    assert "Nguyễn Thị O'Brien-Rahayu" in page.locator(".facts").inner_text()
    checked(page, shots, "confirmation")

    # English, one tap away, on the same page
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"/confirmation"))
    assert page.locator("h1").inner_text() == "Your appointment is booked"
    assert page.locator("#application-number").inner_text() == number
    checked(page, shots, "confirmation-en")

    page.get_by_role("link", name="Choose another time").click()
    page.wait_for_url(re.compile(r"/reschedule"))
    checked(page, shots, "reschedule")
    page.get_by_label("Date and time").select_option(index=6)
    page.get_by_role("button", name="Move my appointment").click()
    page.wait_for_url(re.compile(r"/confirmation\?done=rescheduled"))
    assert "has moved" in page.get_by_role("status").inner_text()

    page.get_by_role("link", name="Cancel the appointment").click()
    page.wait_for_url(re.compile(r"/cancel"))
    checked(page, shots, "cancel")
    page.get_by_role("button", name="Yes, cancel it").click()
    page.wait_for_url(re.compile(r"/confirmation\?done=cancelled"))
    assert page.locator("h1").inner_text() == "Your appointment is cancelled"
    checked(page, shots, "cancelled")

    # another phone finds it by number and birth date
    other = chromium.new_context(viewport=PHONE, device_scale_factor=1).new_page()
    other.goto(portal.url + "/status")
    checked(other, shots, "status")
    other.get_by_label("Nomor permohonan").fill(number)
    other.get_by_label("Tanggal lahir").fill("1990-04-02")
    other.get_by_role("button", name="Cari permohonan saya").click()
    other.wait_for_load_state()
    assert other.get_by_role("alert").count() == 1
    checked(other, shots, "status-not-found")
    other.get_by_label("Tanggal lahir").fill("1990-04-01")
    other.get_by_role("button", name="Cari permohonan saya").click()
    other.wait_for_url(re.compile(r"/confirmation"))
    assert other.locator("#application-number").inner_text() == number

    other.goto(portal.url + "/privacy")
    checked(other, shots, "privacy")
    context.close()
    other.context.close()
