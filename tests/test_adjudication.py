"""The 1:N search at a running central record and the adjudicators' queue it feeds.

Real ``biostation central serve`` processes (SQLite, and PostgreSQL with BIOSTATION_TEST_PG), real
stations sealing real packets; the decisions through the HTTP API and the command line.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from central import adjudication, db, store
from station.settings import load_settings
from station.station import Station
from tests.conftest import CentralProcess, run_cli
from tests.test_hardening_central import PERSON_P, PERSON_P_AGAIN, PERSON_Q, _embedding, _near, _post, _record

PASSWORD = "a long adjudicator passphrase"


def _wait_searched(engine, packet_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        record = next(r for r in store.list_records(engine) if r["packet_id"] == packet_id)
        if record["search"]["status"] == "searched" or time.monotonic() > deadline:
            return record
        time.sleep(0.2)


@pytest.fixture
def office(central, tmp_path):
    engine = db.connect(central.db)
    station = Station(load_settings({"BIOSTATION_HOME": str(tmp_path / "station")}))
    station.register(central.url, store.issue_token(engine, "counter 1"))
    yield station, engine, central
    station.close()
    engine.dispose()


def _enroll(office, synthetic_fingers, given: str, face, fingers, number: str | None = None) -> tuple[str, str]:
    station, engine, central = office
    number = number or store.add_application(engine, given, "Rahayu", "1990-04-01", "passport")
    application = station.applications().lookup(number)
    pid = station.submit(_record(application, station.registration.station_id, synthetic_fingers, face, fingers))
    answer = _post(central.url, station.outbox.wire(pid))
    assert answer.status_code == 201, answer.text
    return number, pid


def _decide(central, item: int, decision: str, name: str = "Dewi", password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{central.url}/api/v1/adjudication/{item}/decision", json={"decision": decision},
                      auth=(name, password), timeout=30)


def test_a_second_identity_is_queued_decided_once_and_never_flagged_again(office, synthetic_fingers):
    station, engine, central = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    assert _wait_searched(engine, pid_a)["flags"] == []
    b, pid_b = _enroll(office, synthetic_fingers, "Sri", _near(_embedding(0)), PERSON_P_AGAIN)
    flags = _wait_searched(engine, pid_b)["flags"]
    assert [f["other_application"] for f in flags] == [a]
    assert flags[0]["face_distance"] is not None and flags[0]["fingers"] == 2  # one decision over all modalities
    c, pid_c = _enroll(office, synthetic_fingers, "Ayu", _embedding(1), PERSON_Q)
    assert _wait_searched(engine, pid_c)["flags"] == []  # someone else: no flag

    # the queue is for staff only
    item = flags[0]["item"]
    assert httpx.get(central.url + "/api/v1/adjudication", timeout=10).status_code == 401
    added = run_cli("central", "staff", "add", "--db", central.db, "--name", "Dewi", "--role", "adjudicator",
                    "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    run_cli("central", "staff", "add", "--db", central.db, "--name", "Admin", "--role", "admin",
            "--password-stdin", stdin=PASSWORD + "\n")
    assert httpx.get(central.url + "/api/v1/adjudication", auth=("Dewi", "wrong password!!"),
                     timeout=30).status_code == 401
    queue = httpx.get(central.url + "/api/v1/adjudication", auth=("Dewi", PASSWORD), timeout=30).json()
    assert queue["total"] == 1 and queue["items"][0]["id"] == item
    shown = queue["items"][0]
    assert (shown["kind"], shown["application"], shown["other_application"]) == ("possible_duplicate", b, a)
    assert shown["scores"]["flagged"] and shown["scores"]["modalities"] == 3 and shown["scores"]["gallery"] == 1

    # decisions: an administrator may not, a wrong word is refused, the adjudicator's decision is kept and audited
    assert _decide(central, item, "same_person", "Admin").status_code == 403
    assert _decide(central, item, "maybe").status_code == 422
    decided = _decide(central, item, "same_person")
    assert decided.status_code == 200, decided.text
    assert (decided.json()["decision"], decided.json()["decided_by"]) == ("same_person", "Dewi")
    again = _decide(central, item, "different_people")
    assert again.status_code == 409 and again.json()["error"] == "central.already_decided"
    assert adjudication.linked(engine, a) == {b} and adjudication.linked(engine, b) == {a}
    entries = [e for e in adjudication.audit_entries(engine) if e["action"] == "adjudication.decide"]
    assert [(e["actor"], e["subject"], e["detail"]["decision"]) for e in entries] == [
        ("Dewi", str(item), "same_person")]

    # the pair never flags again: B enrolled again is neither its own nor A's duplicate
    _, pid_b2 = _enroll(office, synthetic_fingers, "", _near(_embedding(0), 7), PERSON_P, number=b)
    assert _wait_searched(engine, pid_b2)["flags"] == []
    # a new application of the same person is a new pair: flagged against both
    d, pid_d = _enroll(office, synthetic_fingers, "Dian", _near(_embedding(0), 5), PERSON_P_AGAIN)
    assert sorted(f["other_application"] for f in _wait_searched(engine, pid_d)["flags"]) == sorted([a, b])
    listed = run_cli("central", "adjudication", "list", "--db", central.db, "--json")
    assert listed.returncode == 0, listed.stderr
    assert {i["other_application"] for i in json.loads(listed.stdout)["items"]} == {a, b}
    first_open = json.loads(listed.stdout)["items"][0]["id"]
    by_cli = run_cli("central", "adjudication", "decide", "--db", central.db, "--item", str(first_open),
                     "--decision", "refer", "--name", "Dewi", "--password-stdin", stdin=PASSWORD + "\n")
    assert by_cli.returncode == 0, by_cli.stderr
    assert json.loads(by_cli.stdout)["decision"] == "refer"


def test_a_restarted_central_record_rebuilds_its_gallery_and_searches_what_was_queued(office, synthetic_fingers):
    station, engine, central = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    _wait_searched(engine, pid_a)
    central.stop()
    central.start()
    b, pid_b = _enroll(office, synthetic_fingers, "Sri", _near(_embedding(0)), PERSON_P_AGAIN)
    record = _wait_searched(engine, pid_b)
    assert record["search"]["status"] == "searched" and record["search"]["gallery"] == 1
    assert [f["other_application"] for f in record["flags"]] == [a]
    # a record whose search could not run (marked queued, as after a crash mid-search) is searched at start
    central.stop()
    with engine.begin() as conn:
        conn.execute(db.records.update().where(db.records.c.packet_id == pid_b).values(search_status="queued"))
        conn.execute(db.adjudication_items.delete())
    restarted = CentralProcess(central.db, central.home)
    restarted.port, restarted.url = central.port, central.url
    restarted.start()
    try:
        record = _wait_searched(engine, pid_b)
        assert record["search"]["status"] == "searched"
        assert [f["other_application"] for f in record["flags"]] == [a]
    finally:
        restarted.stop()


def test_a_held_re_enrollment_waits_in_the_queue_and_same_person_makes_it_current(office, synthetic_fingers):
    station, engine, central = office
    a, pid_a = _enroll(office, synthetic_fingers, "Siti", _embedding(0), PERSON_P)
    _, held = _enroll(office, synthetic_fingers, "", _embedding(1), PERSON_Q, number=a)
    assert store.record_status(engine, held) == ("held", "central.held_no_match")
    items = adjudication.items(engine)["items"]
    assert [(i["kind"], i["packet_id"], i["other_packet_id"]) for i in items] == [("reenrollment_held", held, pid_a)]
    assert items[0]["scores"]["face_distance"] is not None
    _wait_searched(engine, held)
    with engine.begin() as conn:  # decided a day after both arrived, as adjudicators' queues go
        for packet, received in conn.execute(select(db.records.c.packet_id, db.records.c.received_at)).all():
            conn.execute(db.records.update().where(db.records.c.packet_id == packet)
                         .values(received_at=received - timedelta(days=1)))
    run_cli("central", "staff", "add", "--db", central.db, "--name", "Dewi", "--role", "adjudicator",
            "--password-stdin", stdin=PASSWORD + "\n")
    assert _decide(central, items[0]["id"], "same_person").status_code == 200
    assert store.record_status(engine, held) == ("accepted", None)
    assert store.latest_record(engine, a)[0]["packet_id"] == held
    # the released version is in the running gallery from the next search on, not from the next start:
    # a new application with its face and fingers is flagged against A
    c, pid_c = _enroll(office, synthetic_fingers, "Ayu", _near(_embedding(1)), PERSON_Q)
    assert [f["other_application"] for f in _wait_searched(engine, pid_c)["flags"]] == [a]
