"""Issue 27's "low, fix while there" findings, each as the reviewer hit it, over real HTTP on loopback.

The server is the central record's own stack (``BodyLimit(create_app(...))`` under
``server_config``, what ``biostation central serve`` runs) in a thread on a loopback port, on a
real SQLite database; the embedded central record the console starts is checked for the banner
too. Findings 6 (``eval faces`` with every pair failed) and 7 (calibration names the images it
could not read) were fixed earlier: ``tests/test_hardening_inputs.py`` holds them.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import uuid
from datetime import date, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from central import staff, store
from central.db import connect
from central.service import MAX_JSON_DEPTH, MAX_PACKET_BYTES, PACKET_TYPE
from central.wire import PacketContent, public_bytes, seal, sign_request
from domain.catalog import render
from station.embedded_central import EmbeddedCentral, free_port
from tests.conftest import run_cli, served_in_thread

JSON = {"content-type": "application/json"}
STAFF_PASSWORD = "adjudicator correct horse 7"


class Office:
    """The served central record, its engine, and one registered station's id and key."""

    def __init__(self, url: str, engine, station_id: str, key: Ed25519PrivateKey, central_key: X25519PublicKey,
                 application: str) -> None:
        self.url, self.engine, self.station_id, self.key = url, engine, station_id, key
        self.central_key, self.application = central_key, application

    def signed(self, method: str, path: str, body: bytes = b"", **headers: str) -> httpx.Response:
        signature = sign_request(method, path, body, self.station_id, self.key)
        return self.send(method, path, body, {**signature, **headers})

    def send(self, method: str, path: str, body: bytes, headers: dict) -> httpx.Response:
        return httpx.request(method, self.url + path, content=body, headers=headers, timeout=30)

    def intake_rows(self) -> int:
        return len(store.intake_events(self.engine))


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    folder = tmp_path_factory.mktemp("central")
    engine = connect(f"sqlite:///{folder / 'central.db'}")
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    staff.add_staff(engine, "ana", "adjudicator", STAFF_PASSWORD)
    token = store.issue_token(engine, "counter 1")
    with served_in_thread(engine) as url:
        key = Ed25519PrivateKey.generate()
        answer = httpx.post(url + "/api/v1/stations/register", headers=JSON, timeout=30,
                            content=json.dumps({"token": token, "public_key": public_bytes(key.public_key()).hex()}))
        assert answer.status_code == 200, answer.text
        registered = answer.json()
        central_key = X25519PublicKey.from_public_bytes(bytes.fromhex(registered["central_public_key"]))
        yield Office(url, engine, registered["station_id"], key, central_key, number)
    engine.dispose()


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


# -- 1: deep JSON ---------------------------------------------------------------------------------
@pytest.mark.parametrize("levels", [30_000, MAX_JSON_DEPTH + 1])
def test_deep_json_is_a_400_naming_the_depth_on_every_json_endpoint(office, levels):
    """30,000 nested lists are 60 KB, under the 64 KB JSON limit: Python's parser raised RecursionError (500)."""
    body = _deep(levels)
    basic = "Basic " + base64.b64encode(f"ana:{STAFF_PASSWORD}".encode()).decode()
    answers = {
        "register": httpx.post(office.url + "/api/v1/stations/register", content=body, headers=JSON, timeout=30),
        "feedback": office.signed("POST", "/api/v1/feedback", body, **JSON),
        "decision": httpx.post(office.url + "/api/v1/adjudication/1/decision", content=body, timeout=30,
                               headers={**JSON, "authorization": basic}),
    }
    for endpoint, answer in answers.items():
        assert answer.status_code == 400, (endpoint, answer.status_code, answer.text[:200])
        assert answer.json() == {"error": "central.json_too_deep", "params": {"limit": str(MAX_JSON_DEPTH)}}
    assert str(MAX_JSON_DEPTH) in render("central.json_too_deep", "en", limit=MAX_JSON_DEPTH)
    assert str(MAX_JSON_DEPTH) in render("central.json_too_deep", "id", limit=MAX_JSON_DEPTH)


def test_json_within_the_depth_still_parses_brackets_in_strings_do_not_count(office):
    body = json.dumps({"token": "[" * 5000, "public_key": "00" * 32, "x": [[[[1]]]]}).encode()
    answer = httpx.post(office.url + "/api/v1/stations/register", content=body, headers=JSON, timeout=30)
    assert answer.status_code == 403 and answer.json()["error"] == "central.bad_token"  # parsed, then refused


def test_a_packet_header_nested_too_deep_is_a_400_not_a_500(office):
    """A packet's clear header is JSON too, read before anything is verified (up to 4 KB: 2,000 levels)."""
    header = _deep(2000)
    wire = b"BSP1" + len(header).to_bytes(4, "big") + header + b"\0" * 64
    answer = httpx.post(office.url + "/api/v1/packets", content=wire, headers={"content-type": PACKET_TYPE},
                        timeout=30)
    assert answer.status_code == 400 and answer.json()["error"] == "central.packet_malformed", answer.text[:200]


# -- 2: chunked bodies ----------------------------------------------------------------------------
def test_a_chunked_body_over_the_limit_is_a_413(office):
    """40 MB sent chunked (no Content-Length) was read into the app and answered 500."""
    sent = 0

    def forty_megabytes():
        nonlocal sent
        for _ in range(40):
            sent += 1
            yield b"\0" * (1024 * 1024)

    try:
        answer = httpx.post(office.url + "/api/v1/packets", content=forty_megabytes(),
                            headers={"content-type": PACKET_TYPE}, timeout=60)
    except httpx.TransportError:  # the server may close before the client has sent everything
        answer = None
    if answer is None:  # read the answer over a raw socket instead
        answer_head = _chunked_raw(office.url, 40)
        assert answer_head.startswith(b"HTTP/1.1 413"), answer_head[:200]
    else:
        assert "transfer-encoding" in answer.request.headers and "content-length" not in answer.request.headers
        assert answer.status_code == 413 and answer.json()["error"] == "central.too_large", answer.text[:200]
    assert sent <= 40


def _chunked_raw(url: str, megabytes: int) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST /api/v1/packets HTTP/1.1\r\nhost: {host}\r\ncontent-type: {PACKET_TYPE}\r\n"
                     "transfer-encoding: chunked\r\n\r\n".encode())
        chunk = b"100000\r\n" + b"\0" * 0x100000 + b"\r\n"
        try:
            for _ in range(megabytes):
                sock.sendall(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        return sock.recv(65536)


def test_a_chunked_body_within_the_limit_still_reaches_the_app(office):
    def parts():
        yield b'{"token": "nope", '
        yield b'"public_key": "' + b"00" * 32 + b'"}'

    answer = httpx.post(office.url + "/api/v1/stations/register", content=parts(), headers=JSON, timeout=30)
    assert "content-length" not in answer.request.headers
    assert answer.status_code == 403 and answer.json()["error"] == "central.bad_token"


# -- 3: no intake-log rows for unauthenticated requests -------------------------------------------
def test_unauthenticated_requests_add_no_intake_log_rows_and_are_logged_rate_limited(office, caplog):
    before = office.intake_rows()
    path = f"/api/v1/applications/{office.application}"
    stranger = Ed25519PrivateKey.generate()
    with caplog.at_level(logging.WARNING, logger="biostation.central.http"):
        for i in range(25):
            invented = uuid.uuid4().hex[:16]
            # invented station ids, unsigned and signed by a key of the caller's own
            assert httpx.get(office.url + path, headers={"x-station-id": invented}, timeout=30).status_code == 403
            forged = sign_request("GET", path, b"", invented, stranger)
            assert httpx.get(office.url + path, headers=forged, timeout=30).status_code == 403
            # the real station's id with a signature it did not make, and a stale one
            bad = sign_request("GET", path, b"", office.station_id, stranger)
            assert httpx.get(office.url + path, headers=bad, timeout=30).status_code == 401
            stale = sign_request("GET", path, b"", office.station_id, office.key, now=1000)
            assert httpx.get(office.url + path, headers=stale, timeout=30).status_code == 401
            # packets: from an invented station, signed by a stranger, not a packet, wrong type
            content = PacketContent({"packet_id": "x"}, {})
            pid = uuid.uuid4().hex
            unknown = seal(content, pid, invented, stranger, office.central_key)
            assert _post_packet(office, unknown).status_code == 403
            forged_packet = seal(content, pid, office.station_id, stranger, office.central_key)
            assert _post_packet(office, forged_packet).status_code == 401
            elsewhere = seal(content, pid, office.station_id, office.key, X25519PrivateKey.generate().public_key())
            assert _post_packet(office, elsewhere).status_code == 400
            assert _post_packet(office, b"not a packet %d" % i).status_code == 400
            assert _post_packet(office, b"{}", "text/plain").status_code == 415
    assert office.intake_rows() == before
    logged = [r for r in caplog.records if r.name == "biostation.central.http"]
    assert len(logged) <= 2 * 4, [r.getMessage() for r in logged]  # 225 refusals, each kind once per 10 s
    # a packet the real station signed is still noted when it is refused
    mine = seal(PacketContent({"packet_id": "x"}, {}), uuid.uuid4().hex, office.station_id, office.key,
                office.central_key)
    assert _post_packet(office, mine).status_code == 400
    events = store.intake_events(office.engine)
    assert len(events) == before + 1
    assert events[-1]["outcome"] == "refused" and events[-1]["station_id"] == office.station_id


def _post_packet(office: Office, data: bytes, content_type: str = PACKET_TYPE) -> httpx.Response:
    return httpx.post(office.url + "/api/v1/packets", content=data, headers={"content-type": content_type},
                      timeout=30)


# -- 4: security headers, no banner ---------------------------------------------------------------
EXPECTED_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def _check_headers(answer: httpx.Response) -> None:
    where = (answer.request.method, answer.request.url.path, answer.status_code)
    for name, value in EXPECTED_HEADERS.items():
        assert answer.headers.get(name) == value, (where, name, dict(answer.headers))
    policy = answer.headers.get("content-security-policy", "")
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy, (where, policy)
    assert "server" not in answer.headers, (where, answer.headers.get("server"))
    assert "date" in answer.headers


def test_every_answer_carries_the_security_headers_and_no_server_banner(office):
    answers = [
        httpx.get(office.url + "/health", timeout=30),
        office.signed("GET", f"/api/v1/applications/{office.application}"),  # personal data
        httpx.get(office.url + f"/api/v1/applications/{office.application}", timeout=30),  # 403
        httpx.get(office.url + "/no/such/route", timeout=30),  # 404
        httpx.get(office.url + "/api/v1/adjudication?limit=many", timeout=30),  # 422: FastAPI's own refusal
        httpx.post(office.url + "/api/v1/stations/register", content=_deep(100), headers=JSON, timeout=30),
        httpx.post(office.url + "/api/v1/packets", content=b"\0" * (MAX_PACKET_BYTES + 1),
                   headers={"content-type": PACKET_TYPE}, timeout=60),  # 413 from BodyLimit
    ]
    assert [a.status_code for a in answers] == [200, 200, 403, 404, 422, 400, 413]
    assert answers[1].json()["surname"] == "Rahayu"
    for answer in answers:
        _check_headers(answer)


def test_the_embedded_central_record_sends_no_banner_either(tmp_path):
    embedded = EmbeddedCentral(f"sqlite:///{tmp_path / 'central.db'}", free_port())
    try:
        _check_headers(httpx.get(embedded.url + "/health", timeout=30))
    finally:
        embedded.stop()
        embedded.engine.dispose()


# -- 5: what an applicant types -------------------------------------------------------------------
@pytest.mark.parametrize("given", ["...", "-'", " , ", "'.-,"])
def test_a_name_of_punctuation_only_is_refused(office, given):
    with pytest.raises(store.CentralError) as caught:
        store.add_application(office.engine, given, "Rahayu", "1990-04-01", "passport")
    assert caught.value.status == 422 and caught.value.message_id == "application.name_without_letters"
    with pytest.raises(store.CentralError):
        store.add_application(office.engine, "Siti", given, "1990-04-01", "passport")
    assert store.add_application(office.engine, "O'Neil-Smith", "Jr.", "1990-04-01", "passport")


def _tomorrow() -> str:
    return (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("birth", "problem"), [
    ("19900101", "birth_date_format"),
    ("1990-W01-1", "birth_date_format"),
    ("1990-1-1", "birth_date_format"),
    ("01-04-1990", "birth_date_format"),
    ("1990-02-30", "birth_date_not_a_day"),
    ("1990-13-01", "birth_date_not_a_day"),
    ("1899-12-31", "birth_date_too_early"),
    (_tomorrow(), "birth_date_future"),
])
def test_a_birth_date_must_be_yyyy_mm_dd_a_real_day_from_1900_to_today(office, birth, problem):
    with pytest.raises(store.CentralError) as caught:
        store.add_application(office.engine, "Siti", "Rahayu", birth, "passport")
    assert caught.value.status == 422 and caught.value.message_id == f"application.{problem}"
    for language in ("en", "id"):  # in the applicant's terms, either language, naming what was typed
        text = render(caught.value.message_id, language, **caught.value.params)
        assert birth in text and "{" not in text and not text.startswith("application."), text


def test_the_earliest_and_latest_birth_dates_are_accepted(office):
    for birth in ("1900-01-01", date.today().isoformat(), "2000-02-29"):
        assert store.add_application(office.engine, "Siti", "Rahayu", birth, "passport")


def test_an_appointment_must_fall_within_a_day_back_and_a_year_ahead(office):
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Jakarta"))
    refused = {
        datetime(1900, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")): "application.appointment_past",
        now - timedelta(days=2): "application.appointment_past",
        now + timedelta(days=400): "application.appointment_too_far",
        datetime(2999, 1, 1, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")): "application.appointment_too_far",
    }
    for when, problem in refused.items():
        with pytest.raises(store.CentralError) as caught:
            store.add_application(office.engine, "Siti", "Rahayu", "1990-04-01", "passport", when)
        assert caught.value.status == 422 and caught.value.message_id == problem, when
        for language in ("en", "id"):
            assert "{" not in render(problem, language, **caught.value.params)
    for when in (now - timedelta(hours=20), now, now + timedelta(days=365)):
        assert store.add_application(office.engine, "Siti", "Rahayu", "1990-04-01", "passport", when)


def test_the_command_line_refuses_a_compact_birth_date_in_words(tmp_path):
    done = run_cli("central", "applications", "add", "--db", f"sqlite:///{tmp_path / 'c.db'}", "--given-name", "Siti",
                   "--surname", "Rahayu", "--birth-date", "19900101", "--service", "passport")
    assert done.returncode != 0 and "19900101" in done.stderr and "1990-04-01" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("stars", [True, False, "5", 5.0, 0, 6, None])
def test_feedback_stars_must_be_an_integer_from_1_to_5_and_not_a_bool(office, stars):
    def feedback_rows() -> int:
        from sqlalchemy import func, select

        from central import db

        with office.engine.begin() as conn:
            return conn.execute(select(func.count()).select_from(db.feedback)).scalar_one()

    before = feedback_rows()
    body = json.dumps({"application": office.application, "stars": stars, "comment": ""}).encode()
    answer = office.signed("POST", "/api/v1/feedback", body, **JSON)
    assert answer.status_code == 422 and answer.json()["error"] == "central.bad_stars", (stars, answer.text)
    assert feedback_rows() == before
    body = json.dumps({"application": office.application, "stars": 5, "comment": "cepat"}).encode()
    assert office.signed("POST", "/api/v1/feedback", body, **JSON).status_code == 201
    assert feedback_rows() == before + 1


def test_a_captured_request_replayed_is_refused_and_its_query_cannot_be_changed(office):
    path = f"/api/v1/applications/{office.application}"
    headers = sign_request("GET", path, b"", office.station_id, office.key)
    assert office.send("GET", path, b"", headers).status_code == 200
    replayed = office.send("GET", path, b"", headers)
    assert replayed.status_code == 401 and replayed.json()["error"] == "central.request_replayed"
    # a parameter added to a signed request breaks its signature
    day = "2026-12-07"
    headers = sign_request("GET", "/api/v1/appointments", b"", office.station_id, office.key, query={"day": day})
    widened = office.send("GET", f"/api/v1/appointments?day={day}&zone=Asia/Jayapura", b"", headers)
    assert widened.status_code == 401 and widened.json()["error"] == "central.request_bad_signature"
