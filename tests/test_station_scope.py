"""Who may read what: a station reads, lists and enrolls only its own office's applicants; registration
tokens expire; a station can be revoked. Over real HTTP on loopback against the central record's own
stack (``BodyLimit(create_app(...))`` under ``server_config``) on a real SQLite database."""

from __future__ import annotations

import json
from datetime import date, timedelta

import httpx
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import update

from central import db, offices, service, store
from central.adjudication import audit_entries
from central.db import connect
from central.wire import PacketError, public_bytes, sign_request
from station.central_link import stop_server
from station.embedded_central import free_port
from tests.conftest import served_in_thread
from tests.test_hardening_central import _layout, _opened


class Station:
    def __init__(self, url: str, station_id: str, key: Ed25519PrivateKey) -> None:
        self.url, self.station_id, self.key = url, station_id, key

    def get(self, path: str, **params: str) -> httpx.Response:
        headers = sign_request("GET", path, b"", self.station_id, self.key, query=params or None)
        return httpx.get(self.url + path, params=params or None, headers=headers, timeout=30)


def _register(url: str, token: str) -> Station:
    key = Ed25519PrivateKey.generate()
    answer = httpx.post(url + "/api/v1/stations/register", timeout=30, headers={"content-type": "application/json"},
                        content=json.dumps({"token": token, "public_key": public_bytes(key.public_key()).hex()}))
    assert answer.status_code == 200, answer.text
    return Station(url, answer.json()["station_id"], key)


@pytest.fixture(scope="module")
def two_offices(tmp_path_factory):
    folder = tmp_path_factory.mktemp("central")
    engine = connect(f"sqlite:///{folder / 'central.db'}")
    jakarta = offices.add_office(engine, "Kantor Jakarta", "08:00", "15:00", 15, 4, closed_weekdays="")
    makassar = offices.add_office(engine, "Kantor Makassar", "08:00", "15:00", 15, 4, timezone="Asia/Makassar",
                                  closed_weekdays="")
    day = date.today() + timedelta(days=1)
    here = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport", office=jakarta.name)
    there = store.add_application(engine, "Andi", "Wijaya", "1985-02-03", "visa", office=makassar.name)
    with served_in_thread(engine) as url:
        counter = _register(url, store.issue_token(engine, "loket 1"))  # no --office: the default (oldest) office
        yield engine, url, counter, here, there, day, makassar
    engine.dispose()


def test_a_station_reads_only_its_own_offices_applicants(two_offices):
    _engine, _url, counter, here, there, _day, _makassar = two_offices
    assert counter.get(f"/api/v1/applications/{here}").json()["number"] == here
    elsewhere = counter.get(f"/api/v1/applications/{there}")
    unknown = counter.get("/api/v1/applications/P999999999999")
    # another office's applicant answers exactly as a number that does not exist
    assert elsewhere.status_code == unknown.status_code == 404
    assert elsewhere.json()["error"] == unknown.json()["error"] == "central.no_application"
    assert counter.get(f"/api/v1/applications/{there}/templates").status_code == 404


def test_a_station_lists_only_its_own_offices_queue(two_offices):
    engine, _url, counter, _here, _there, _day, makassar = two_offices
    today = date.today().isoformat()
    own = counter.get("/api/v1/appointments", day=today)
    assert own.status_code == 200 and own.json()["office"]["name"] == "Kantor Jakarta"
    assert counter.get("/api/v1/appointments", day=today, office="Kantor Jakarta").status_code == 200
    other = counter.get("/api/v1/appointments", day=today, office=makassar.name)
    assert other.status_code == 403 and other.json()["error"] == "central.office_not_yours"
    assert counter.get("/api/v1/appointments", day=today, office="Kantor Atlantis").status_code == 404


def test_another_offices_applicant_cannot_be_enrolled_here(two_offices):
    engine, _url, counter, here, there, _day, _makassar = two_offices
    face = np.random.default_rng(5).normal(size=128)
    manifest, files = _layout(there, 0.6 * face / np.linalg.norm(face))
    with pytest.raises(PacketError) as err:
        store.intake(engine, _opened(engine, counter.station_id, counter.key, manifest, files))
    assert (err.value.status, err.value.message_id) == (403, "central.application_other_office")
    manifest, files = _layout(here, 0.6 * face / np.linalg.norm(face))
    assert store.intake(engine, _opened(engine, counter.station_id, counter.key, manifest, files)).status == "stored"


def test_a_cancelled_booking_is_not_checked_in(two_offices):
    engine, _url, counter, _here, _there, _day, _makassar = two_offices
    number = store.add_application(engine, "Dewi", "Lestari", "1992-07-08", "passport", office="Kantor Jakarta")
    assert offices.cancel(engine, number)
    answer = counter.get(f"/api/v1/applications/{number}")
    assert answer.status_code == 409 and answer.json()["error"] == "central.application_cancelled"


def test_registration_tokens_expire_and_are_spent_once(two_offices):
    engine, url, _counter, _here, _there, _day, _makassar = two_offices
    old = store.issue_token(engine, "loket lama")
    with engine.begin() as conn:
        conn.execute(update(db.station_tokens).values(created_at=store.now_utc() - store.TOKEN_VALID
                                                      - timedelta(minutes=1))
                     .where(db.station_tokens.c.name == "loket lama"))
    key = Ed25519PrivateKey.generate()
    late = httpx.post(url + "/api/v1/stations/register", timeout=30, headers={"content-type": "application/json"},
                      content=json.dumps({"token": old, "public_key": public_bytes(key.public_key()).hex()}))
    assert late.status_code == 403 and late.json()["error"] == "central.token_expired"
    fresh = store.issue_token(engine, "loket 2")
    _register(url, fresh)
    with pytest.raises(store.CentralError) as err:
        store.register_station(engine, fresh, public_bytes(Ed25519PrivateKey.generate().public_key()))
    assert err.value.message_id == "central.bad_token"


def test_a_revoked_station_is_refused(two_offices, monkeypatch):
    engine, url, _counter, here, _there, _day, _makassar = two_offices
    lost = _register(url, store.issue_token(engine, "loket hilang"))
    assert lost.get(f"/api/v1/applications/{here}").status_code == 200
    monkeypatch.setattr(service, "STATION_KEYS_TTL_S", 0)  # the serving thread re-reads the keys at once
    assert store.revoke_station(engine, "loket hilang") == [lost.station_id]
    refused = lost.get(f"/api/v1/applications/{here}")
    assert refused.status_code == 403 and refused.json()["error"] == "central.station_unknown"
    with pytest.raises(store.CentralError):
        store.revoke_station(engine, "loket hilang")  # already revoked
    assert [a["action"] for a in audit_entries(engine, lost.station_id)] == ["station.revoked"]


def test_a_station_registers_over_tls_with_its_offices_certificate(tmp_path):
    """``central serve --tls-cert/--tls-key``: a station reaches it when it trusts the certificate (the
    system's CAs, or the office's own named by ``SSL_CERT_FILE``), and refuses to talk to it otherwise."""
    import os
    import ssl
    import subprocess
    import time

    from tests.conftest import BIOSTATION, run_cli
    from tests.test_portal import _self_signed

    cert, key = _self_signed(tmp_path)
    port = free_port()
    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    server = subprocess.Popen(BIOSTATION + ["central", "serve", "--db", db_url, "--port", str(port),
                                            "--tls-cert", cert, "--tls-key", key],
                              env=dict(os.environ, BIOSTATION_HOME=str(tmp_path / "central-home")),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}"
    try:
        with httpx.Client(verify=ssl.create_default_context(cafile=cert), timeout=5) as trusted:
            started = False
            for _ in range(600):  # a bounded wait for the start (60 s), with the office's certificate
                try:
                    started = trusted.get(url + "/health").status_code == 200
                    break
                except httpx.HTTPError:
                    if server.poll() is not None:
                        break
                    time.sleep(0.1)
        assert started
        token = run_cli("central", "station-token", "--db", db_url, "--name", "loket tls").stdout.strip()
        refused = run_cli("station", "register", "--central", url, "--token", token,
                          env={"BIOSTATION_HOME": str(tmp_path / "station")})
        assert refused.returncode != 0
        registered = run_cli("station", "register", "--central", url, "--token", token,
                             env={"BIOSTATION_HOME": str(tmp_path / "station"), "SSL_CERT_FILE": cert})
        assert registered.returncode == 0, registered.stderr
    finally:
        stop_server(server)
