"""The back office in a real browser: staff log in, compare a real duplicate side by side, decide, log out,
in Chromium against a real ``central serve``; axe-core finds no serious or critical WCAG 2.1 AA violation on
any back-office page. With BIOSTATION_WEB_SCREENSHOTS=DIR the pages are saved there as office_<page>.png
(``docs/screenshots/web`` holds the committed ones); otherwise in the test's own folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from central import adjudication, offices, staff, store
from tests.browser import DESKTOP, accessibility_violations
from tests.test_adjudication import _enroll, _wait_searched
from tests.test_adjudication import office as office  # noqa: F401  (a station registered with central)
from tests.test_hardening_central import PERSON_P, PERSON_P_AGAIN, _embedding, _near

PASSWORD = "a long adjudicator passphrase"
ADMIN_PASSWORD = "the administrator's own phrase"
IMAGES_LOADED = "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BIOSTATION_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _checked(page, shots: Path, name: str) -> None:
    """No serious or critical accessibility violation on the page as it is now; its screenshot saved."""
    assert accessibility_violations(page) == [], name
    page.screenshot(path=str(shots / f"office_{name}.png"), full_page=True)


def _log_in(page, url: str, name: str, password: str) -> None:
    page.goto(url + "/office")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form[action='/office/login'] button[type=submit]")


def test_an_adjudicator_logs_in_compares_and_decides_in_chromium(office, synthetic_fingers, chromium,  # noqa: F811
                                                                 tmp_path):
    _station, engine, central = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    _wait_searched(engine, pid_a)
    b, pid_b = _enroll(office, synthetic_fingers, "Sri", _near(_embedding(0)), PERSON_P_AGAIN)
    item = _wait_searched(engine, pid_b)["flags"][0]["item"]
    staff.add_staff(engine, "Dewi", "adjudicator", PASSWORD)
    staff.add_staff(engine, "Budi", "admin", ADMIN_PASSWORD)
    office_id = offices.add_office(engine, "Kanim Jakarta Selatan", "08:00", "15:00", 15, 2, "WIB", "").id
    store.add_feedback(engine, a, 5, "Pelayanan cepat, petugas ramah.")
    store.add_feedback(engine, b, 3, "Antrean agak lama di pagi hari.")
    shots = _shots(tmp_path)

    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(central.url + "/office")
        assert page.url.endswith("/office/login")
        assert page.locator("html").get_attribute("lang") == "id"  # Bahasa Indonesia first
        _checked(page, shots, "login")

        _log_in(page, central.url, "Dewi", "not the passphrase at all")
        assert page.locator("#login-error").is_visible()
        assert page.locator("#password").get_attribute("aria-invalid") == "true"
        assert accessibility_violations(page) == []

        _log_in(page, central.url, "Dewi", PASSWORD)
        page.wait_for_url("**/office/queue")
        assert page.locator("#queue tbody tr").count() == 1
        _checked(page, shots, "queue")

        page.click(f"a[href='/office/items/{item}']")
        page.wait_for_url(f"**/office/items/{item}")
        page.wait_for_function(IMAGES_LOADED)
        assert page.locator("#comparison img").count() == 6  # both photos, two fingers each
        assert a in page.locator("#comparison").inner_text() and b in page.locator("#comparison").inner_text()
        _checked(page, shots, "item")

        page.check("#decision-different_people")
        page.click("#record-decision")
        page.wait_for_selector("#decided")
        assert "Orang yang berbeda" in page.locator("#decided").inner_text()
        assert page.locator("#record-decision").count() == 0
        decided = [e for e in adjudication.audit_entries(engine) if e["action"] == "adjudication.decide"]
        assert [(e["actor"], e["subject"], e["detail"]["decision"]) for e in decided] == [
            ("Dewi", str(item), "different_people")]

        page.goto(central.url + "/office/feedback")  # an administrator's page
        assert page.locator("#forbidden").is_visible()
        _checked(page, shots, "forbidden")

        page.click("form[action='/office/logout'] button")
        page.wait_for_url("**/office/login?out=1")
        page.goto(central.url + f"/office/items/{item}")
        assert "/office/login" in page.url  # logged out: nothing behind it opens

        _log_in(page, central.url, "Budi", ADMIN_PASSWORD)
        page.wait_for_url("**/office/feedback")
        page.wait_for_function(IMAGES_LOADED)
        assert page.locator("#feedback tbody tr").count() == 2
        _checked(page, shots, "feedback")

        page.click("a[href='/office/offices']")
        _checked(page, shots, "offices")
        page.click(f"a[href='/office/offices/{office_id}']")
        page.fill("#opens", "16:00")  # after closing: no slot fits, the server says so beside the field
        page.click("#save-office")
        assert page.locator("#opens").get_attribute("aria-invalid") == "true"
        assert page.locator("#hours-error").is_visible()
        assert accessibility_violations(page) == []
        page.fill("#opens", "08:00")
        page.fill("#capacity", "3")
        page.click("#save-office")
        page.wait_for_selector("#saved")
        _checked(page, shots, "office_edit")

        page.click("a[href='/office/load']")
        assert page.locator(".office-bookings tbody tr").count() == 2  # the two enrolled applications, today
        _checked(page, shots, "load")
    finally:
        context.close()
