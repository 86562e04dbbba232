"""The central record over real HTTP on loopback: registration, intake, tampering, bad input.

The server is ``biostation central serve`` in its own process, on SQLite (and on
PostgreSQL as well when CI sets ``BIOSTATION_TEST_PG``). The station side is the real
``Station``: keys, outbox, sealing.
"""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import store
from central.db import connect
from central.service import PACKET_TYPE
from central.wire import PacketContent, PacketError, open_sealed, seal, sign_request
from enrollment.synthetic import sample_record
from station.settings import load_settings
from station.station import Station


@pytest.fixture
def setup(central, synthetic_fingers):
    engine = connect(central.db)
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    token = store.issue_token(engine, "counter 1")
    station = Station(load_settings())
    station.register(central.url, token)
    application = station.applications().lookup(number)
    yield station, engine, application, central
    station.close()
    engine.dispose()


def test_registration_tokens_can_be_typed_after_token(central):
    """Every token goes through ``--token TOKEN`` on the command line: none may start with
    "-" (one in 64 of the bare random strings did), and each is issued once."""
    from station.cli import build_parser

    engine = connect(central.db)
    try:
        tokens = [store.issue_token(engine, f"counter {i}") for i in range(300)]
    finally:
        engine.dispose()
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        args = build_parser().parse_args(["station", "register", "--central", central.url, "--token", token])
        assert args.token == token


def _packet(station, application, folder, seed=0) -> tuple[str, bytes]:
    pid = station.submit(sample_record(application, station.registration.station_id, folder, seed))
    return pid, station.outbox.wire(pid)


def _post(url: str, data: bytes, content_type: str = PACKET_TYPE) -> httpx.Response:
    return httpx.post(url + "/api/v1/packets", content=data, headers={"content-type": content_type}, timeout=10)


def test_register_deliver_and_replay(setup, synthetic_fingers):
    station, engine, application, central = setup
    pid, wire = _packet(station, application, synthetic_fingers)
    assert station.outbox.counts()["pending"] == 1
    result = station.flush()
    assert (result.delivered, result.pending) == (1, 0)
    assert station.outbox.entries()[0]["held"] is False  # bytes erased once acknowledged
    records = store.list_records(engine)
    assert [r["packet_id"] for r in records] == [pid]
    assert records[0]["emulated"] is True
    # the same packet again: "already received", still one record
    again = _post(central.url, wire)
    assert again.status_code == 200 and again.json()["status"] == "already_received"
    assert store.record_count(engine) == 1


def test_same_id_other_content_is_a_conflict(setup, synthetic_fingers):
    station, engine, application, central = setup
    pid, wire = _packet(station, application, synthetic_fingers)
    assert _post(central.url, wire).status_code == 201
    reg = station.registration
    from station.keys import signing_key

    opened = open_sealed(wire, store.central_key(engine), store.station_keys(engine).get)
    changed = dict(opened.content.manifest, officer="someone else")
    other = seal(PacketContent(changed, opened.content.files), pid, reg.station_id, signing_key(station.home),
                 reg.central_key)
    answer = _post(central.url, other)
    assert answer.status_code == 409 and answer.json()["error"] == "central.packet_conflict"
    assert store.record_count(engine) == 1


def test_tampered_packets_are_refused_logged_and_not_stored(setup, synthetic_fingers):
    station, engine, application, central = setup
    pid, wire = _packet(station, application, synthetic_fingers)
    flipped = bytearray(wire)
    flipped[len(flipped) // 2] ^= 0x20
    answer = _post(central.url, bytes(flipped))
    assert answer.status_code == 400 and answer.json()["error"] == "central.packet_undecryptable"
    # sealed for another central record's key
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from station.keys import signing_key

    opened = open_sealed(wire, store.central_key(engine), store.station_keys(engine).get)
    reg = station.registration
    wrong_key = seal(opened.content, pid, reg.station_id, signing_key(station.home),
                     X25519PrivateKey.generate().public_key())
    assert _post(central.url, wrong_key).status_code == 400
    # signed by a key the central record does not know for this station
    forged = seal(opened.content, pid, reg.station_id, Ed25519PrivateKey.generate(), reg.central_key)
    answer = _post(central.url, forged)
    assert answer.status_code == 401 and answer.json()["error"] == "central.packet_bad_signature"
    # an unregistered station
    manifest = dict(opened.content.manifest, station_id="ffffffffffffffff")
    stranger = seal(PacketContent(manifest, opened.content.files), pid, "ffffffffffffffff",
                    Ed25519PrivateKey.generate(), reg.central_key)
    answer = _post(central.url, stranger)
    assert answer.status_code == 403 and answer.json()["error"] == "central.station_unknown"
    # a manifest whose file list does not match the files (signed by the real station)
    files = dict(opened.content.files)
    files["face.iso19794-5"] = files["face.iso19794-5"][:-1] + b"\x00"
    mismatched = seal(PacketContent(opened.content.manifest, files), pid, reg.station_id,
                      signing_key(station.home), reg.central_key)
    assert _post(central.url, mismatched).status_code == 400
    assert store.record_count(engine) == 0
    # only the packet the station really signed is noted in the intake log: anyone can send the others
    # (they are logged, rate-limited; tests/test_hardening_low.py)
    refused = [e for e in store.intake_events(engine) if e["outcome"] == "refused"]
    assert [(e["station_id"], e["packet_id"]) for e in refused] == [(reg.station_id, pid)]
    # the genuine packet still goes through afterwards
    assert station.flush().delivered == 1
    assert store.record_count(engine) == 1


def test_bad_requests_get_clear_4xx(setup):
    station, engine, application, central = setup
    url = central.url
    assert _post(url, b"hello", "text/plain").status_code == 415
    assert _post(url, b"not a packet at all").status_code == 400
    big = httpx.post(url + "/api/v1/packets", content=b"\0" * (33 * 1024 * 1024),
                     headers={"content-type": PACKET_TYPE}, timeout=30)
    assert big.status_code == 413
    bad_utf8 = httpx.post(url + "/api/v1/stations/register", content=b'{"token": "\xff\xfe"}',
                          headers={"content-type": "application/json"}, timeout=10)
    assert bad_utf8.status_code == 400 and bad_utf8.json()["error"] == "central.not_utf8"
    bad_token = httpx.post(url + "/api/v1/stations/register", headers={"content-type": "application/json"},
                           content=json.dumps({"token": "nope", "public_key": "00" * 32}), timeout=10)
    assert bad_token.status_code == 403
    # signed requests only: an unsigned lookup and a stale signature are refused
    assert httpx.get(url + f"/api/v1/applications/{application['number']}", timeout=10).status_code == 403
    from station.keys import signing_key

    path = f"/api/v1/applications/{application['number']}"
    stale = sign_request("GET", path, b"", station.registration.station_id, signing_key(station.home), now=1000)
    assert httpx.get(url + path, headers=stale, timeout=10).status_code == 401
    assert store.record_count(engine) == 0


@pytest.mark.parametrize("given", ["Robert'); DROP TABLE applications;--", "Ann\x00e", "", "x" * 101])
def test_names_that_are_not_names_are_refused(central_db, given):
    engine = connect(central_db)
    with pytest.raises(store.CentralError) as err:
        store.add_application(engine, given, "Doe", "1990-01-01", "passport")
    assert err.value.status == 422
    assert store.appointments_on(engine, __import__("datetime").date.today(), "Asia/Jakarta") == []
    engine.dispose()


def test_offline_lookup_uses_the_encrypted_cache(setup):
    station, engine, application, central = setup
    central.kill()
    desk = station.applications()
    assert desk.lookup(application["number"]) == application  # from the cache
    listing, fresh = desk.appointments()
    assert not fresh and [a["number"] for a in listing] == [application["number"]]
    raw = (station.home / "cache.db").read_bytes() + (station.home / "cache.db-wal").read_bytes()
    assert application["surname"].encode() not in raw  # sealed at rest
    central.start()


def test_feedback_and_templates_for_registered_stations_only(setup, synthetic_fingers):
    station, engine, application, central = setup
    link = station.link()
    from station.central_link import CentralRefused

    with pytest.raises(CentralRefused) as err:
        link.templates(application["number"])
    assert err.value.status == 404  # nothing enrolled yet
    _packet(station, application, synthetic_fingers)
    station.flush()
    enrolled = link.templates(application["number"])
    assert len(enrolled["face_embedding"]) == 128 and [f["position"] for f in enrolled["fingers"]] == [1, 2]
    assert link.feedback(application["number"], 5, "Cepat sekali, terima kasih")["status"] == "stored"
    with pytest.raises(CentralRefused) as err:
        link.feedback(application["number"], 9, "")
    assert err.value.status == 422
    refused = [e for e in store.intake_events(engine) if e["outcome"] == "request_refused"]
    assert refused == []
    rows = len(store.intake_events(engine))
    assert httpx.get(central.url + f"/api/v1/applications/{application['number']}/templates",
                     headers={"x-station-id": "nobody"}, timeout=10).status_code == 403
    assert len(store.intake_events(engine)) == rows  # an unknown station adds no row (issue 27)


def test_production_mode_refuses_emulated_devices(setup, synthetic_fingers):
    station, engine, application, central = setup
    pid, wire = _packet(station, application, synthetic_fingers)
    opened = open_sealed(wire, store.central_key(engine), store.station_keys(engine).get)
    with pytest.raises(PacketError) as err:
        store.intake(engine, opened, production=True)
    assert (err.value.status, err.value.message_id) == (422, "central.emulated_in_production")
    assert store.record_count(engine) == 0
    assert store.intake(engine, opened, production=False).status == "stored"
