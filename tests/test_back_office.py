"""The back office at /office over HTTP: log-in, lockout, rate limit, sessions that expire and end,
roles, the duplicate queue with its audited images and decisions, the applicants' feedback.

A real ``biostation central serve`` (SQLite, and PostgreSQL with BIOSTATION_TEST_PG) and real
enrollment packets of one person under two applications (the helpers of ``test_adjudication``).
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from central import adjudication, db, offices, staff, store
from tests.test_adjudication import _enroll, _wait_searched
from tests.test_adjudication import office as office  # noqa: F401  (the fixture: a station registered with central)
from tests.test_hardening_central import PERSON_P, PERSON_P_AGAIN, PERSON_Q, _embedding, _near

PASSWORD = "a long adjudicator passphrase"
ADMIN_PASSWORD = "the administrator's own phrase"
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
URLS = re.compile(r'(?:href|src|action)="([^"]*)"')


@pytest.fixture
def engine(central):
    engine = db.connect(central.db)
    staff.add_staff(engine, "Dewi", "adjudicator", PASSWORD)
    staff.add_staff(engine, "Budi", "admin", ADMIN_PASSWORD)
    yield engine
    engine.dispose()


def _client(central) -> httpx.Client:
    return httpx.Client(base_url=central.url, cookies={"lang": "en"}, timeout=30)


def _token(client: httpx.Client, path: str = "/office/login") -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return TOKEN.search(answer.text).group(1)


def _login(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post("/office/login", data={"csrf_token": _token(client), "name": name, "password": password})


def _actions(engine, action: str) -> list[dict]:
    return [e for e in adjudication.audit_entries(engine) if e["action"] == action]


def test_log_in_sessions_expire_and_log_out_ends_them(central, engine):
    with _client(central) as client:
        assert client.get("/office").headers["location"] == "/office/login"  # no session: to the log-in page
        assert client.post("/office/login", data={"name": "Dewi", "password": PASSWORD}).status_code == 403  # no CSRF
        wrong = _login(client, "Dewi", "not the passphrase at all")
        assert wrong.status_code == 401 and "Wrong name or password." in wrong.text
        unknown = _login(client, "Nobody", PASSWORD)
        assert unknown.status_code == 401 and "Wrong name or password." in unknown.text
        assert "office_session" not in client.cookies

        signed = _login(client, "Dewi", PASSWORD)
        assert signed.status_code == 303 and signed.headers["location"] == "/office"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/office" in cookie
        assert "secure" not in cookie  # plain http on loopback; over https the cookie is Secure
        token = client.cookies["office_session"]
        assert token not in str(adjudication.audit_entries(engine))  # the database keeps only its hash
        queue = client.get("/office/queue")
        assert queue.status_code == 200 and "Signed in as Dewi (adjudicator)" in queue.text
        assert "content-security-policy" in queue.headers

        # idle for longer than the idle limit: the session is over, the page says so, the end is audited
        with engine.begin() as conn:
            conn.execute(db.staff_sessions.update().values(
                last_seen_at=store.now_utc() - timedelta(minutes=staff.SESSION_IDLE_MINUTES + 1)))
        ended = client.get("/office/queue")
        assert ended.status_code == 303 and ended.headers["location"] == "/office/login?ended=1"
        assert "Your session has ended" in client.get("/office/login?ended=1").text
        assert _actions(engine, "session.expired")[-1]["detail"]["reason"] == "idle"

        # in use all the time, but signed in longer than the absolute limit: over as well
        assert _login(client, "Dewi", PASSWORD).status_code == 303
        with engine.begin() as conn:
            conn.execute(db.staff_sessions.update().values(
                created_at=store.now_utc() - timedelta(hours=staff.SESSION_HOURS, minutes=1)))
        assert client.get("/office/queue").status_code == 303
        assert _actions(engine, "session.expired")[-1]["detail"]["reason"] == "absolute"

        # log-out deletes the session: the same cookie, sent again, opens nothing
        assert _login(client, "Dewi", PASSWORD).status_code == 303
        token = client.cookies["office_session"]
        assert client.post("/office/logout", data={}).status_code == 403  # no CSRF token
        out = client.post("/office/logout", data={"csrf_token": _token(client, "/office/queue")})
        assert out.status_code == 303 and out.headers["location"] == "/office/login?out=1"
        with engine.begin() as conn:
            assert conn.execute(db.staff_sessions.select()).all() == []
    with httpx.Client(base_url=central.url, cookies={"office_session": token}, timeout=30) as replay:
        assert replay.get("/office/queue").headers["location"].startswith("/office/login")
    assert [e["actor"] for e in _actions(engine, "login")] == ["Dewi"] * 3
    assert [e["actor"] for e in _actions(engine, "logout")] == ["Dewi"]
    assert {e["detail"]["reason"] for e in _actions(engine, "login.failed")} == {"password", "unknown"}


def test_an_account_locks_after_wrong_passwords_and_log_in_is_rate_limited(central, engine):
    with _client(central) as client:
        answers = [_login(client, "Dewi", f"wrong passphrase number {i}") for i in range(staff.MAX_FAILURES)]
        assert [a.status_code for a in answers] == [401] * (staff.MAX_FAILURES - 1) + [423]
        locked = _login(client, "Dewi", PASSWORD)  # the right password, but the account is locked
        assert locked.status_code == 423 and "locked for 15 minutes" in locked.text
        # past the per-client burst the log-in form is refused before any password is checked
        statuses = [client.post("/office/login", data={"name": "Budi", "password": "x"}).status_code
                    for _ in range(12)]
        assert 429 in statuses
        assert "Too many attempts" in client.post("/office/login", data={}).text
    assert _actions(engine, "login") == []


def test_roles_each_reach_only_their_pages(central, engine):
    with _client(central) as adjudicator, _client(central) as admin:
        assert _login(adjudicator, "Dewi", PASSWORD).headers["location"] == "/office"
        assert adjudicator.get("/office").headers["location"] == "/office/queue"
        refused = adjudicator.get("/office/feedback")
        assert refused.status_code == 403 and "not open to your role (adjudicator)" in refused.text
        assert adjudicator.get("/office/feedback/chart.png").status_code == 403
        assert 'href="/office/feedback"' not in adjudicator.get("/office/queue").text

        assert _login(admin, "Budi", ADMIN_PASSWORD).status_code == 303
        assert admin.get("/office").headers["location"] == "/office/feedback"
        assert admin.get("/office/queue").status_code == 200  # the list (no biometrics) is open to both
        assert admin.get("/office/items/1").status_code == 403  # an item's photos and prints are not
        assert admin.get("/office/items/1/face/new.png").status_code == 403


def test_feedback_shows_ratings_over_time_and_comments(central, engine):
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    for stars, comment, months_ago in ((5, "Cepat dan ramah", 0), (3, "Antre lama", 0), (2, "Ruang panas", 2)):
        store.add_feedback(engine, number, stars, comment)
        with engine.begin() as conn:
            newest = conn.execute(db.feedback.select().order_by(db.feedback.c.id.desc())).first()
            conn.execute(db.feedback.update().where(db.feedback.c.id == newest.id)
                         .values(at=store.now_utc() - timedelta(days=31 * months_ago)))
    with _client(central) as client:
        assert client.get("/office/feedback/chart.png").status_code == 401  # no session
        assert _login(client, "Budi", ADMIN_PASSWORD).status_code == 303
        shown = client.get("/office/feedback")
        assert shown.status_code == 200
        assert "Average rating 3.33 of 5 over 3 rating(s)." in shown.text
        assert "Cepat dan ramah" in shown.text and "Ruang panas" in shown.text and "2 of 5 stars" in shown.text
        assert shown.text.index("Cepat dan ramah") > shown.text.index("feedback-months")  # the table after the chart
        assert re.findall(r"<tr><td>\d{4}-\d{2}</td><td>([\d.]+)</td><td>(\d+)</td></tr>", shown.text) == [
            ("2.0", "1"), ("4.0", "2")]
        chart = client.get("/office/feedback/chart.png")
        assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(chart.content)).size == (800, 320)
        assert number not in str([u for u in URLS.findall(shown.text)])  # the application number is in no URL


def test_a_duplicate_is_compared_side_by_side_and_decided_with_every_view_audited(office, synthetic_fingers):  # noqa: F811
    _station, engine, central = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    _wait_searched(engine, pid_a)
    b, pid_b = _enroll(office, synthetic_fingers, "Sri", _near(_embedding(0)), PERSON_P_AGAIN)
    item = _wait_searched(engine, pid_b)["flags"][0]["item"]
    staff.add_staff(engine, "Dewi", "adjudicator", PASSWORD)
    base = f"/office/items/{item}"
    with httpx.Client(base_url=central.url, timeout=30) as stranger:
        assert stranger.get(base + "/face/new.png").status_code == 401  # no session: no image
        assert stranger.get(base + "/fingers/earlier/1.png").status_code == 401
        assert stranger.get(base).headers["location"] == "/office/login"
    with _client(central) as client:
        assert _login(client, "Dewi", PASSWORD).status_code == 303
        queue = client.get("/office/queue")
        assert f'href="{base}"' in queue.text and a in queue.text and b in queue.text
        shown = client.get(base)
        assert shown.status_code == 200
        assert "Siti Rahayu" in shown.text and "Sri Rahayu" in shown.text and "right thumb" in shown.text
        assert "Fused score" in shown.text and "Face distance" in shown.text
        urls = URLS.findall(shown.text)
        assert not [u for u in urls if a in u or b in u or "Rahayu" in u]  # personal data in no URL
        images = sorted(u for u in urls if u.endswith(".png"))
        assert images == sorted([f"{base}/face/new.png", f"{base}/face/earlier.png",
                                 f"{base}/fingers/new/1.png", f"{base}/fingers/new/2.png",
                                 f"{base}/fingers/earlier/1.png", f"{base}/fingers/earlier/2.png"])
        for url in images:
            answer = client.get(url)
            assert answer.status_code == 200 and answer.headers["content-type"] == "image/png", url
            assert answer.headers["cache-control"] == "no-store"
            assert min(Image.open(io.BytesIO(answer.content)).size) > 50
        assert client.get(base + "/fingers/new/7.png").status_code == 404  # no such finger in the record
        assert client.get(base + "/face/sideways.png").status_code == 404

        viewed = [e for e in _actions(engine, "adjudication.view") if e["subject"] == str(item)]
        assert [(e["actor"], e["detail"]["role"]) for e in viewed] == [("Dewi", "adjudicator")]
        pictures = [e for e in _actions(engine, "adjudication.view_biometrics") if e["subject"] == str(item)]
        assert sorted((e["detail"]["side"], e["detail"]["file"]) for e in pictures) == sorted([
            ("new", "face.iso19794-5"), ("earlier", "face.iso19794-5"), ("new", "finger-01.wsq"),
            ("new", "finger-02.wsq"), ("earlier", "finger-01.wsq"), ("earlier", "finger-02.wsq")])
        assert {e["detail"]["packet"] for e in pictures} == {pid_a, pid_b}

        token = TOKEN.search(shown.text).group(1)
        assert client.post(base + "/decision", data={"decision": "different_people"}).status_code == 403  # no CSRF
        decided = client.post(base + "/decision", data={"csrf_token": token, "decision": "different_people"})
        assert decided.status_code == 303 and decided.headers["location"] == base
        after = client.get(base)
        assert "Decided: Different people, by Dewi" in after.text and 'id="record-decision"' not in after.text
        again = client.post(base + "/decision", data={"csrf_token": token, "decision": "same_person"})
        assert again.status_code == 409 and "already decided" in again.text
    entries = [e for e in _actions(engine, "adjudication.decide") if e["subject"] == str(item)]
    assert [(e["actor"], e["detail"]["decision"]) for e in entries] == [("Dewi", "different_people")]
    assert adjudication.linked(engine, a) == set()


def test_an_administrator_edits_an_office_and_reads_the_days_load(central, engine):
    office = offices.add_office(engine, "Kanim Jakarta Selatan", "08:00", "15:00", 15, 2, "WIB", closed_weekdays="")
    tomorrow = datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=1)
    at = {hm: datetime.combine(tomorrow, time.fromisoformat(hm), ZoneInfo("Asia/Jakarta")) for hm in ("09:00", "09:15")}
    numbers = [store.add_application(engine, given, "Rahayu", "1990-04-01", "passport", at[hm], office.name)
               for given, hm in (("Siti", "09:00"), ("Sri", "09:00"), ("Ayu", "09:15"))]
    with _client(central) as adjudicator:
        assert _login(adjudicator, "Dewi", PASSWORD).status_code == 303
        for path in ("/office/offices", f"/office/offices/{office.id}", "/office/load"):
            assert adjudicator.get(path).status_code == 403, path
        token = _token(adjudicator, "/office/queue")
        assert adjudicator.post(f"/office/offices/{office.id}", data={"csrf_token": token, "capacity": "9"}
                                ).status_code == 403
    with _client(central) as client:
        assert _login(client, "Budi", ADMIN_PASSWORD).status_code == 303
        listed = client.get("/office/offices")
        assert f'href="/office/offices/{office.id}"' in listed.text and "08:00–15:00 WIB" in listed.text
        load = client.get(f"/office/load?day={tomorrow.isoformat()}")
        assert "3 of 56 places booked (5%); 0 applicant(s) enrolled." in load.text
        assert "Siti Rahayu" in load.text and "over capacity" not in load.text
        assert not [u for u in URLS.findall(load.text) if any(n in u for n in numbers) or "Rahayu" in u]

        shut_on = (tomorrow.weekday() + 3) % 7  # a weekday that is not tomorrow's
        form = client.get(f"/office/offices/{office.id}")
        token = TOKEN.search(form.text).group(1)
        wrong = client.post(f"/office/offices/{office.id}", data={
            "csrf_token": token, "opens": "16:00", "closes": "15:00", "slot_minutes": "15", "capacity": "0",
            "timezone": "Asia/Jakarta"})
        assert wrong.status_code == 422
        assert "hold no slot" in wrong.text and "takes 1 to 1000 applicants" in wrong.text
        assert offices.get_office(engine, office.id).capacity == 2  # nothing saved
        saved = client.post(f"/office/offices/{office.id}", data={
            "csrf_token": token, "opens": "08:00", "closes": "16:00", "slot_minutes": "15", "capacity": "1",
            "timezone": "Asia/Makassar", "closed": [str(shut_on)]})
        assert saved.status_code == 303 and saved.headers["location"] == f"/office/offices/{office.id}?saved=1"
        changed = offices.get_office(engine, office.id)
        assert (changed.capacity, changed.closes, changed.timezone, changed.closed_weekdays) == (
            1, time(16, 0), "Asia/Makassar", frozenset({shut_on}))
        update = _actions(engine, "office.update")[-1]
        assert (update["actor"], update["subject"], update["detail"]["before"]["capacity"],
                update["detail"]["after"]["capacity"]) == ("Budi", office.name, 2, 1)
        # the bookings keep their places; the slot now holds more than its capacity, and says so
        assert "over capacity" in client.get(f"/office/load?day={tomorrow.isoformat()}").text

        shut = client.post(f"/office/offices/{office.id}/days", data={
            "csrf_token": token, "day": tomorrow.isoformat(), "closed_day": "yes"})
        assert shut.status_code == 303
        assert "The office is shut this day (3 booking(s) still on it)." in client.get(
            f"/office/load?day={tomorrow.isoformat()}").text
        assert _actions(engine, "office.day")[-1]["detail"] == {"day": tomorrow.isoformat(), "closed": True,
                                                                "capacity": None}
        assert client.post(f"/office/offices/{office.id}/days", data={
            "csrf_token": token, "day": "someday"}).status_code == 422


def test_a_held_re_enrollment_shows_both_versions_with_their_one_to_one_scores(office, synthetic_fingers):  # noqa: F811
    _station, engine, central = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    _, held = _enroll(office, synthetic_fingers, "", _embedding(1), PERSON_Q, number=a)
    item = adjudication.items(engine)["items"][0]
    assert (item["kind"], item["packet_id"], item["other_packet_id"]) == ("reenrollment_held", held, pid_a)
    staff.add_staff(engine, "Dewi", "adjudicator", PASSWORD)
    with _client(central) as client:
        assert _login(client, "Dewi", PASSWORD).status_code == 303
        shown = client.get(f"/office/items/{item['id']}")
        assert shown.status_code == 200 and "re-enrollment held" in shown.text
        assert shown.text.count(a) >= 2  # one application, two versions of its record
        rows = re.findall(r'<th scope="row">right (?:thumb|index finger)</th>.*?<td>([\d.]+)', shown.text, re.S)
        assert [float(r) for r in rows] == [item["scores"]["finger_scores"][p] for p in ("1", "2")]
        for side in ("new", "earlier"):
            assert client.get(f"/office/items/{item['id']}/fingers/{side}/2.png").status_code == 200
        token = TOKEN.search(shown.text).group(1)
        assert client.post(f"/office/items/{item['id']}/decision",
                           data={"csrf_token": token, "decision": "same_person"}).status_code == 303
    assert store.record_status(engine, held) == ("accepted", None)  # same person: the held version is current
