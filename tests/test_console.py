"""The officer console as a counter uses it: first run, the day's queue, the keyboard, the supervisors' queue.

Driven like a person would (pytest-qt, offscreen): keys typed with QTest, no mouse in the
keyboard test; the camera is a file camera playing a real portrait, the sensor is the ZFM
emulator behind the unmodified pyfingerprint client, matching runs in worker processes and
the central record is a server process on loopback.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, time, timedelta
from time import sleep
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from central import store
from central.db import connect
from domain.fingers import FingerPosition
from drivers import open_camera, open_scanner
from enrollment.policy import Policy
from gui.console import MINIMUM, Console
from gui.i18n import Language
from matching.workers import MatchingWorkers
from station.counter import Status, local_time, queue_rows
from station.demo import DEMO_APPLICANTS, add_demo_appointments
from station.embedded_central import EmbeddedCentral, free_port
from station.officers import password_strength
from station.settings import load_settings, save_settings
from station.station import Station

from .conftest import run_cli
from .faces import astronaut, camera_folder, studio

WAIT = 60_000
OFFICE = "Kantor Imigrasi Kelas I Jakarta Selatan"


@pytest.fixture(scope="module")
def workers():
    with MatchingWorkers(1, warm=True) as pool:
        yield pool


def type_into(widget, text: str) -> None:
    widget.setFocus()
    QTest.keyClicks(widget, text)


def key(console: Console, which: Qt.Key) -> None:
    """A key pressed wherever the focus is, as the officer would."""
    target = console.focusWidget() or console
    QTest.keyClick(target, which)


# -- first run ---------------------------------------------------------------------------------------
def registered_station(central) -> Station:
    """A fresh station (no account yet) registered with the central record, as ``biostation run`` makes one."""
    engine = connect(central.db)
    station = Station(load_settings())
    station.register(central.url, store.issue_token(engine, "counter 1"))
    engine.dispose()
    return station


def test_first_run_makes_the_office_and_its_supervisor(qtbot, central):
    added = run_cli("central", "offices", "add", "--db", central.db, "--name", OFFICE, "--opens", "08:00",
                    "--closes", "15:00", "--slot-minutes", "15", "--capacity", "4")
    assert added.returncode == 0, added.stderr
    station = registered_station(central)
    assert station.officers.count() == 0  # nothing to log in with: no default account, no default password
    console = Console(station, Language("en"), None, None, None)
    qtbot.addWidget(console)
    console.show()
    assert console.page == "first_run"  # not a log-in form nobody can pass
    page = console.pages["first_run"]
    assert "no default password" in page.intro.text().lower()
    type_into(page.office, "Kantor Imigrasi Tidak Ada")
    QTest.keyClick(page.office, Qt.Key.Key_Return)  # Enter moves on, field by field
    QTest.keyClicks(console.focusWidget(), "budi")
    QTest.keyClick(console.focusWidget(), Qt.Key.Key_Return)
    assert console.focusWidget() is page.password
    QTest.keyClicks(page.password, "budi1234")
    assert page.meter.value() == 0 and "at least 12 characters" in page.strength.text()  # strength shown as typed
    page.password.clear()
    QTest.keyClicks(page.password, "password1234")
    assert page.meter.value() == 0 and "too common" in page.strength.text()
    page.password.clear()
    QTest.keyClicks(page.password, "kopi susu pagi")
    fair = page.meter.value()
    assert fair >= 1 and "acceptable" in page.strength.text()
    QTest.keyClicks(page.password, " di Jakarta")
    assert page.meter.value() > fair and "strong" in page.strength.text()
    QTest.keyClick(page.password, Qt.Key.Key_Return)
    QTest.keyClicks(page.repeat, "kopi susu pagi di Jakarte")
    assert page.match.text() == "The two passwords are not the same."
    QTest.keyClick(page.repeat, Qt.Key.Key_Return)
    assert page.message.text() == "The two passwords are not the same."  # refused before anything is stored
    assert station.officers.count() == 0 and load_settings().office == ""
    QTest.keyClick(page.repeat, Qt.Key.Key_Backspace)
    QTest.keyClicks(page.repeat, "a")
    assert page.match.text() == "The two passwords match."
    QTest.keyClick(page.repeat, Qt.Key.Key_Return)
    # an office the central record does not have would leave the queue empty: refused, nothing stored
    qtbot.waitUntil(lambda: "no office called 'Kantor Imigrasi Tidak Ada'" in page.message.text(), timeout=WAIT)
    assert station.officers.count() == 0 and load_settings().office == ""
    page.office.clear()
    QTest.keyClicks(page.office, OFFICE)
    QTest.keyClick(page.repeat, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: console.page == "queue", timeout=WAIT)  # the console opens, signed in
    assert console.officer.name == "budi" and console.officer.role == "supervisor"
    assert load_settings().office == OFFICE  # stored in station.toml, for every later start
    assert OFFICE in console.pages["queue"].heading.text() and OFFICE in console.windowTitle()
    assert any(e.action == "station.office" and e.detail["office"] == OFFICE for e in station.audit.entries())
    assert station.officers.authenticate("budi", "kopi susu pagi di Jakarta").role == "supervisor"
    console.close()
    station.close()
    # the next start asks for a log-in, naming the office
    station = Station(load_settings())
    console = Console(station, Language("id"), None, None, None)
    qtbot.addWidget(console)
    assert console.page == "login" and console.pages["login"].office.text() == OFFICE
    console.close()
    station.close()


def test_first_run_office_and_name_are_required_and_bilingual(qtbot, central):
    station = registered_station(central)
    console = Console(station, Language("id"), None, None, None)
    qtbot.addWidget(console)
    page = console.pages["first_run"]
    assert page.title.text() == "Siapkan stasiun ini"  # Bahasa Indonesia first
    page.password.setText("kopi susu pagi di Jakarta")
    page.repeat.setText("kopi susu pagi di Jakarta")
    page.create()
    assert page.message.text() == "Masukkan nama kantor yang dilayani stasiun ini."
    page.office.setText("   ")
    page.create()
    assert "nama kantor" in page.message.text()
    page.office.setText(OFFICE)
    page.create()
    assert page.message.text() == "Masukkan nama supervisor."
    console.language.click()
    assert page.title.text() == "Set up this station"
    assert station.officers.count() == 0
    console.close()
    station.close()


def test_password_strength_follows_the_rules():
    assert not password_strength("short", "budi").acceptable
    assert password_strength("budi budi budi", "budi budi budi").message_id == "auth.password_is_name"
    assert password_strength("kopi susu pagi").score < password_strength("kopi susu pagi di Jakarta").score


def test_save_settings_keeps_the_rest_of_the_file(station_home):
    station_home.mkdir(parents=True)
    (station_home / "station.toml").write_text(
        '# counter 3\n[station]\nlanguage = "en"\n\n[policy]\nfinger_min_nfiq2 = 30\n', encoding="utf-8")
    saved = save_settings(load_settings(), office='Kantor "Selatan"')
    assert saved.office == 'Kantor "Selatan"' and saved.language == "en"
    text = (station_home / "station.toml").read_text(encoding="utf-8")
    assert text.startswith("# counter 3\n")
    data = tomllib.loads(text)
    assert data["policy"] == {"finger_min_nfiq2": 30} and data["station"]["office"] == 'Kantor "Selatan"'
    assert load_settings().office == 'Kantor "Selatan"'


# -- the day's queue ---------------------------------------------------------------------------------
def test_queue_shows_the_office_time_and_the_service_in_the_reader_language(qtbot, central, station_home):
    """A 10:00 WIB appointment reads 10:00 (not 03:00 UTC), and a passport reads "paspor" in Indonesian."""
    engine = connect(central.db)
    jakarta = ZoneInfo("Asia/Jakarta")
    today = datetime.now(jakarta).date()
    ten = datetime(today.year, today.month, today.day, 10, 0, tzinfo=jakarta)
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport", ten)
    store.add_application(engine, "Agus", "Wijaya", "1995-07-30", "visa",
                          datetime(today.year, today.month, today.day, 8, 15, tzinfo=jakarta))
    assert store.get_application(engine, number)["appointment_at"].startswith(f"{today.isoformat()}T03:00")
    station = Station(load_settings())
    station.register(central.url, store.issue_token(engine, "counter 1"))
    station.officers.add("siti", "officer", "officer-pass-1")
    console = Console(station, Language("id"), None, None, None)
    qtbot.addWidget(console)
    console.logged_in(station.officers.authenticate("siti", "officer-pass-1"))
    queue = console.pages["queue"]
    qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=WAIT)
    rows = [[queue.table.item(r, c).text() for c in range(5)] for r in range(2)]
    assert rows[0][0] == "08:15" and rows[1] == ["10:00", number, "Siti Rahayu", "paspor", "menunggu"]
    assert not any("(passport)" in cell for row in rows for cell in row)
    queue.search.setText("siti")
    assert queue.table.isRowHidden(0) and not queue.table.isRowHidden(1)  # searched
    assert queue.selected_number() == number
    queue.search.clear()
    queue.table.sortItems(2, Qt.SortOrder.DescendingOrder)  # sortable by any column
    assert queue.table.item(0, 2).text() == "Siti Rahayu"
    console.close()
    station.close()
    engine.dispose()


def test_queue_rows_and_times():
    listing = [{"number": "P1", "given_name": "Siti", "surname": "Rahayu", "service": "passport",
                "birth_date": "1990-04-01", "appointment_at": "2026-12-06T03:00:00+00:00"}]
    rows = queue_rows(listing, "Asia/Jakarta", {"P1": Status.SUBMITTED})
    assert rows[0].time == "10:00" and rows[0].status is Status.SUBMITTED and rows[0].service == "passport"
    assert local_time("2026-12-06T03:00:00", "Asia/Makassar") == "11:00"  # a stamp without offset is UTC
    assert rows[0].matches("rahayu 10:00") and not rows[0].matches("budi")


def test_demo_books_today_once(tmp_path):
    embedded = EmbeddedCentral(f"sqlite:///{tmp_path / 'central.db'}", port=free_port())
    try:
        numbers = add_demo_appointments(embedded, "Asia/Jakarta")
        assert len(numbers) == len(DEMO_APPLICANTS)
        assert add_demo_appointments(embedded, "Asia/Jakarta") == []  # twice the same day books nobody twice
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        booked = store.appointments_on(embedded.engine, today, "Asia/Jakarta")
        times = sorted(local_time(a["appointment_at"], "Asia/Jakarta") for a in booked)
        assert times == sorted(at.strftime("%H:%M") for *_rest, at in DEMO_APPLICANTS)
    finally:
        embedded.stop()


# -- a whole enrollment from the keyboard -------------------------------------------------------------
BEFORE_MIDNIGHT_S = 240  # the keyboard test's few minutes, with room


@pytest.fixture
def counter(central, tmp_path):
    """A registered station with an officer and a supervisor, two of today's applicants and a file camera.

    The applicants are booked "now"; a test that ran across the office's midnight would load a queue
    of the next day, without them. So within ``BEFORE_MIDNIGHT_S`` of it, the fixture waits for the new day.
    """
    zone = ZoneInfo(load_settings().timezone)
    local = datetime.now(zone)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(), zone)
    if (midnight - local).total_seconds() < BEFORE_MIDNIGHT_S:
        sleep((midnight - local).total_seconds() + 2)
    engine = connect(central.db)
    numbers = [store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport"),
               store.add_application(engine, "Budi", "Santoso", "1985-11-12", "visa")]
    station = Station(load_settings())
    station.register(central.url, store.issue_token(engine, "counter 1"))
    station.officers.add("siti", "officer", "officer-pass-1")
    station.officers.add("budi", "supervisor", "supervisor-pass-1")
    camera = open_camera("file:" + str(camera_folder(tmp_path / "camera", studio(astronaut()))))
    yield station, engine, numbers, camera
    camera.close()
    station.close()
    engine.dispose()


def enroll_by_keyboard(qtbot, console: Console, number: str) -> None:
    """From the queue to the review, keys only: the number typed, consent, the photo, the fingers."""
    queue = console.pages["queue"]
    qtbot.waitUntil(lambda: queue.table.rowCount() == 2 and console.focusWidget() is queue.search, timeout=WAIT)
    QTest.keyClicks(queue.search, number)
    QTest.keyClick(queue.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: console.page == "consent", timeout=WAIT)
    consent = console.pages["consent"]
    assert console.header.application["number"] == number and console.step_bar.current == "consent"
    key(console, Qt.Key.Key_F8)  # no consent yet: refused
    qtbot.waitUntil(lambda: consent.message.text() != "", timeout=WAIT)
    assert console.focusWidget() is consent.consent
    QTest.keyClick(consent.consent, Qt.Key.Key_Space)
    assert consent.consent.isChecked()
    key(console, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: console.page == "face", timeout=WAIT)
    face = console.pages["face"]
    qtbot.waitUntil(lambda: face.checks.count() > 5, timeout=WAIT)  # every ICAO check, live
    qtbot.waitUntil(lambda: face.keep_button.isVisible(), timeout=WAIT)  # the portrait smiles: time runs out
    assert "[F4]" in face.keep_button.text()  # the key is on the button
    key(console, Qt.Key.Key_F4)
    qtbot.waitUntil(lambda: face.next_button.isVisible(), timeout=WAIT)
    assert face.checks.count() > 5  # the kept photo's checks stay on screen
    assert console.header.photo.pixmap() is not None and not console.header.photo.pixmap().isNull()
    key(console, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: console.page == "fingers", timeout=WAIT)
    fingers = console.pages["fingers"]
    key(console, Qt.Key.Key_F4)  # the right thumb is missing: an exception, the capture in flight dropped
    qtbot.waitUntil(lambda: fingers.next_button.isVisible(), timeout=WAIT)
    sequence = console.flow.fingers
    assert [e.position for e in sequence.exceptions] == [FingerPosition.RIGHT_THUMB]
    assert [r.position for r in sequence.results] == [FingerPosition.RIGHT_INDEX]
    tile = fingers.board.tiles[FingerPosition.RIGHT_INDEX]
    minimum = console.policy.finger_min_nfiq2
    assert tile.quality.text() == f"NFIQ 2: {sequence.results[0].quality} (≥ {minimum})"
    assert tile.image.pixmap() is not None and not tile.image.pixmap().isNull()
    assert "missing" in fingers.board.tiles[FingerPosition.RIGHT_THUMB].state.text()
    key(console, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: console.page == "review", timeout=WAIT)


def test_whole_enrollment_by_keyboard_and_batch_approval(qtbot, counter, synthetic_fingers, workers):
    station, engine, numbers, camera = counter
    policy = Policy(fingers=(FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX), face_timeout_s=2.0)
    with open_scanner(f"zfm-sim:{synthetic_fingers}") as scanner:
        console = Console(station, Language("en"), camera, scanner, workers, policy)
        qtbot.addWidget(console)
        console.show()
        console.activateWindow()
        login = console.pages["login"]
        assert console.focusWidget() is login.user
        QTest.keyClicks(login.user, "siti")
        QTest.keyClick(login.user, Qt.Key.Key_Return)
        QTest.keyClicks(console.focusWidget(), "officer-pass-1")
        QTest.keyClick(console.focusWidget(), Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: console.page == "queue", timeout=WAIT)
        # the first applicant: the supervisor at the counter approves by typing, the officer submits with F8
        enroll_by_keyboard(qtbot, console, numbers[0])
        review = console.pages["review"]
        assert console.focusWidget() is review.supervisor and not review.submit_button.isEnabled()
        assert review.photo.pixmap() is not None and review.checks.count() > 5
        assert "right thumb: exception (missing)" in review.exceptions.text()
        QTest.keyClicks(review.supervisor, "budi")
        QTest.keyClick(review.supervisor, Qt.Key.Key_Return)
        QTest.keyClicks(console.focusWidget(), "supervisor-pass-1")
        QTest.keyClick(console.focusWidget(), Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: review.submit_button.isEnabled(), timeout=WAIT)
        assert "Approved by budi" in review.approval_state.text()
        key(console, Qt.Key.Key_F8)
        qtbot.waitUntil(lambda: console.page == "done", timeout=WAIT)
        qtbot.waitUntil(lambda: store.record_count(engine) == 1, timeout=WAIT)
        key(console, Qt.Key.Key_F8)  # the next applicant
        qtbot.waitUntil(lambda: console.page == "queue", timeout=WAIT)
        assert console.counter.statuses[numbers[0]] is Status.SUBMITTED
        # the second: handed to the supervisors' queue (F7), approved there with one sign-in
        enroll_by_keyboard(qtbot, console, numbers[1])
        key(console, Qt.Key.Key_F7)
        qtbot.waitUntil(lambda: console.page == "queue", timeout=WAIT)
        assert console.counter.statuses[numbers[1]] is Status.AWAITING_APPROVAL
        assert "(1)" in console.pages["queue"].approvals_button.text()
        # the console closed with a record waiting (a crash alike: nothing happens at close): the next
        # start has it in the supervisors' queue, read back from the station's sealed store
        console.close()
        stored = b"".join(f.read_bytes() for f in station.home.glob("parked.db*"))
        assert numbers[1].encode() in stored and b"Santoso" not in stored  # the record itself only sealed
        console = Console(station, Language("en"), camera, scanner, workers, policy)
        qtbot.addWidget(console)
        console.show()
        console.logged_in(station.officers.authenticate("siti", "officer-pass-1"))
        qtbot.waitUntil(lambda: console.page == "queue", timeout=WAIT)
        assert console.counter.statuses[numbers[1]] is Status.AWAITING_APPROVAL
        assert "(1)" in console.pages["queue"].approvals_button.text()
        key(console, Qt.Key.Key_F6)
        assert console.page == "approvals"
        approvals = console.pages["approvals"]
        assert approvals.ticked() == [numbers[1]]
        QTest.keyClicks(approvals.supervisor, "siti")  # an officer may not approve: nothing changes
        QTest.keyClick(approvals.supervisor, Qt.Key.Key_Return)
        QTest.keyClicks(approvals.password, "officer-pass-1")
        QTest.keyClick(approvals.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: "siti" in approvals.message.text(), timeout=WAIT)
        assert console.counter.pending and store.record_count(engine) == 1
        approvals.supervisor.clear()
        QTest.keyClicks(approvals.supervisor, "budi")
        approvals.password.clear()
        QTest.keyClicks(approvals.password, "supervisor-pass-1")
        QTest.keyClick(approvals.password, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not console.counter.pending, timeout=WAIT)
        assert console.counter.statuses[numbers[1]] is Status.SUBMITTED
        qtbot.waitUntil(lambda: store.record_count(engine) == 2, timeout=WAIT)
        approved = [e for e in station.audit.entries(action="enrollment.approve")]
        assert [(e.actor, e.application) for e in approved] == [("budi", numbers[0]), ("budi", numbers[1])]
        resumed = station.audit.entries(action="enrollment.resumed")
        assert [(e.actor, e.application) for e in resumed] == [("siti", numbers[1])]
        assert station.parked.records() == ([], [])  # in the outbox now: gone from the sealed store
        console.close()


# -- the window on a 1366×768 screen ------------------------------------------------------------------
def test_every_page_fits_1366_by_768(qtbot, counter, synthetic_fingers, workers):
    station, engine, numbers, camera = counter
    with open_scanner(f"zfm-sim:{synthetic_fingers}") as scanner:
        console = Console(station, Language("id"), camera, scanner, workers,
                          Policy(face_timeout_s=2.0))
        qtbot.addWidget(console)
        console.show()
        assert MINIMUM[0] <= 1366 and MINIMUM[1] <= 740
        assert console.width() <= 1366 and console.height() <= 768
        console.resize(1366, 700)  # 768 less a title bar and a task bar
        for name in console.pages:
            console.stack.setCurrentWidget(console.pages[name])
            hint = console.minimumSizeHint()
            assert hint.width() <= 1366 and hint.height() <= 700, (name, hint)
        console.stack.setCurrentWidget(console.pages["login"])
        console.logged_in(station.officers.authenticate("siti", "officer-pass-1"))
        queue = console.pages["queue"]
        qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=WAIT)
        queue.open_application(numbers[0])
        qtbot.waitUntil(lambda: console.page == "consent", timeout=WAIT)
        console.pages["consent"].consent.setChecked(True)
        console.pages["consent"].next()
        qtbot.waitUntil(lambda: console.page == "face", timeout=WAIT)
        face = console.pages["face"]
        qtbot.waitUntil(lambda: face.checks.count() > 5, timeout=WAIT)
        page_rect = face.rect()

        def all_checks_in_view() -> bool:
            rows = face.checks.rows[: face.checks.count()]
            return all(not label.visibleRegion().isEmpty()
                       and page_rect.contains(label.mapTo(face, label.rect().bottomRight()))
                       for row in rows for label in row)

        assert all_checks_in_view()  # no scroll bar, nothing clipped
        qtbot.waitUntil(lambda: face.keep_button.isVisible(), timeout=WAIT)
        face.finish()
        qtbot.waitUntil(lambda: face.next_button.isVisible(), timeout=WAIT)
        assert face.checks.count() > 5 and all_checks_in_view()  # still there after capture
        assert console.statusBar().geometry().bottom() < console.height()
        console.close()


def test_without_a_camera_a_video_or_photo_folder_can_stand_in(qtbot, central, tmp_path):
    station = registered_station(central)
    station.officers.add("siti", "officer", "officer-pass-1")
    console = Console(station, Language("en"), None, None, None)
    qtbot.addWidget(console)
    console.show()
    console.logged_in(station.officers.authenticate("siti", "officer-pass-1"))
    offer = console.pages["queue"].offer
    assert offer.isVisible() and "video file or a folder of photos" in offer.text.text()
    QTest.keyClicks(offer.path, str(tmp_path / "nothing-here"))
    QTest.keyClick(offer.path, Qt.Key.Key_Return)
    assert console.camera is None and console.notice.text()  # said, not a crash
    offer.path.clear()
    QTest.keyClicks(offer.path, str(camera_folder(tmp_path / "photos", studio(astronaut()))))
    QTest.keyClick(offer.path, Qt.Key.Key_Return)
    assert console.camera is not None and console.camera.read(timeout=5.0).image.shape[2] == 3
    assert not offer.isVisible() and "Camera: missing" not in console.devices_label.text()
    console.close()
    console.camera.close()
    station.close()
