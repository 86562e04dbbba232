"""Retention under UU 27/2022 and the audit of staff views of biometrics (issue 27, item 15).

Records filled by real intake (a station's key, sealed packets, the 1:1 version check): a superseded
version and a re-enrollment found to be another person lose their biometrics once their period is
over, each erasure audited and tombstoned; the current version, open items and referred ones are kept.
Every staff view of an adjudication item, through the API too, is in the central audit.
SQLite always; PostgreSQL too with BIOSTATION_TEST_PG.
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import adjudication, db, retention, staff, store
from central.wire import PacketContent, new_packet_id, open_sealed, public_bytes, seal
from enrollment.packet import packet_layout
from enrollment.synthetic import sample_record
from tests.conftest import run_cli
from tests.test_hardening_central import PERSON_P, PERSON_P_AGAIN, PERSON_Q, _embedding, _record

PASSWORD = "a long adjudicator passphrase"
DAY = timedelta(days=1)


@pytest.fixture
def office(central_db):
    engine = db.connect(central_db)
    key = Ed25519PrivateKey.generate()
    station_id, _ = store.register_station(engine, store.issue_token(engine, "counter"), public_bytes(key.public_key()))
    yield engine, station_id, key
    engine.dispose()


def _deliver(office, record) -> str:
    engine, station_id, key = office
    pid = new_packet_id()
    manifest, files = packet_layout(record, pid, "0" * 64)
    sealed = seal(PacketContent(manifest, files), pid, station_id, key, store.central_key(engine).public_key())
    assert store.intake(engine, open_sealed(sealed, store.central_key(engine), store.station_keys(engine).get)).status \
        == "stored"
    return pid


def _enroll(office, fingers, embedding, person, number: str | None = None) -> tuple[str, str]:
    engine, station_id, _ = office
    number = number or store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    return number, _deliver(office, _record(store.get_application(engine, number), station_id, fingers, embedding,
                                            person))


def _record_row(engine, pid: str) -> dict:
    return next(r for r in store.list_records(engine) if r["packet_id"] == pid)


def _manifest(engine, pid: str) -> dict:
    with engine.begin() as conn:
        return json.loads(conn.execute(db.records.select().where(db.records.c.packet_id == pid)).first().manifest)


def _adjudicator(engine) -> staff.StaffMember:
    return staff.add_staff(engine, "Dewi", "adjudicator", PASSWORD)


def test_a_superseded_version_is_erased_after_its_period_audited_and_tombstoned(office, synthetic_fingers):
    engine = office[0]
    number, first = _enroll(office, synthetic_fingers, _embedding(0), PERSON_P)
    _, second = _enroll(office, synthetic_fingers, _embedding(0), PERSON_P_AGAIN, number)
    assert _record_row(engine, second)["status"] == "accepted"  # the same person: the new current version
    clear = store.record_files(engine, second)
    policy = retention.RetentionPolicy()
    arrived = _record_row(engine, second)["received_at"]
    from datetime import datetime

    period_end = datetime.fromisoformat(arrived) + timedelta(days=policy.superseded_version_days)

    # before the period is over: nothing
    assert retention.run(engine, policy, now=period_end - DAY)["erased"] == []
    # a dry run lists it and changes nothing, not even the audit
    dry = retention.run(engine, policy, dry_run=True, now=period_end + DAY)
    assert [(e["packet_id"], e["rule"]) for e in dry["erased"]] == [(first, "superseded_version")]
    assert store.record_files(engine, first) and adjudication.audit_entries(engine, first) == []

    done = retention.run(engine, policy, now=period_end + DAY, actor="retention test")
    assert [e["packet_id"] for e in done["erased"]] == [first]
    assert store.record_files(engine, first) == {}
    with engine.begin() as conn:
        left = conn.execute(db.record_files.select().where(db.record_files.c.packet_id == first)).all()
    assert left == []  # the wrapped data key too
    assert _manifest(engine, first)["face"]["embedding"] is None
    tombstone = _record_row(engine, first)["erased"]
    assert tombstone["rule"] == "superseded_version" and tombstone["period_days"] == 365
    assert tombstone["by"] == "retention test" and tombstone["face_embedding"] is True
    assert "face.iso19794-5" in tombstone["files"] and "_key" in tombstone["files"]
    [entry] = adjudication.audit_entries(engine, first)
    assert (entry["actor"], entry["action"]) == ("retention test", "retention.erase")
    assert entry["detail"]["application"] == number and entry["detail"]["files"] == tombstone["files"]
    # the current version is untouched and still what verification reads; the gallery skips the erased one
    assert store.record_files(engine, second) == clear
    assert store.latest_record(engine, number)[1] == clear
    assert [r.packet_id for r in store.all_records(engine)] == [second]
    # a second run finds nothing left to do
    assert retention.run(engine, policy, now=period_end + 2 * DAY)["erased"] == []


def test_a_refused_re_enrollment_is_erased_after_its_period_and_a_referred_one_is_kept(office, synthetic_fingers):
    engine = office[0]
    member = _adjudicator(engine)
    held = []
    for _ in range(2):
        number, _current = _enroll(office, synthetic_fingers, _embedding(0), PERSON_P)
        _, other = _enroll(office, synthetic_fingers, _embedding(1), PERSON_Q, number)  # someone else
        assert _record_row(engine, other)["status"] == "held"
        held.append(other)
    items = {i["packet_id"]: i["id"] for i in adjudication.items(engine, "all")["items"]}
    refused = adjudication.decide(engine, items[held[0]], "different_people", member)
    adjudication.decide(engine, items[held[1]], "refer", member)
    from datetime import datetime

    decided = datetime.fromisoformat(refused["decided_at"])
    policy = retention.RetentionPolicy.load(None)
    assert retention.run(engine, policy, now=decided + timedelta(days=89))["erased"] == []
    later = decided + timedelta(days=3650)
    done = retention.run(engine, policy, now=later)
    assert [(e["packet_id"], e["rule"]) for e in done["erased"]] == [(held[0], "refused_version")]
    assert store.record_files(engine, held[0]) == {}
    assert store.record_files(engine, held[1])  # referred for investigation: on hold
    assert _record_row(engine, held[0])["erased"]["period_days"] == 90


def test_an_open_item_keeps_its_records(office, synthetic_fingers):
    engine = office[0]
    number, _ = _enroll(office, synthetic_fingers, _embedding(0), PERSON_P)
    _, held = _enroll(office, synthetic_fingers, _embedding(1), PERSON_Q, number)
    with engine.begin() as conn:  # refused long ago, but another item about it is still open
        conn.execute(db.adjudication_items.update().values(decision="different_people", decided_by="x",
                                                           decided_at=store.now_utc() - timedelta(days=400)))
        conn.execute(db.adjudication_items.insert().values(
            kind="possible_duplicate", packet_id=held, application=number, other_application="X", pair="X|Y",
            scores="{}", created_at=store.now_utc()))
    outcome = retention.run(engine, retention.RetentionPolicy())
    assert outcome["erased"] == [] and outcome["on_hold"] == [held]
    assert store.record_files(engine, held)


def test_the_policy_file_sets_the_periods_and_refuses_what_it_does_not_know(tmp_path):
    good = tmp_path / "policy.toml"
    good.write_text("[retention]\nrefused_version_days = 30\n")
    assert retention.RetentionPolicy.load(good).refused_version_days == 30
    assert retention.RetentionPolicy.load(good).superseded_version_days == 365
    for text, message_id in (("[retention]\nforever = 1\n", "central.retention_policy_unknown"),
                             ("[retention]\nrefused_version_days = 0\n", "central.retention_policy_value"),
                             ("[retention\n", "central.retention_policy_unreadable")):
        good.write_text(text)
        with pytest.raises(retention.RetentionError) as caught:
            retention.RetentionPolicy.load(good)
        assert caught.value.message_id == message_id


def test_the_retention_command_dry_run(tmp_path, synthetic_fingers):
    url = f"sqlite:///{tmp_path / 'central.db'}"
    engine = db.connect(url)
    key = Ed25519PrivateKey.generate()
    station_id, _ = store.register_station(engine, store.issue_token(engine, "c"), public_bytes(key.public_key()))
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    _deliver((engine, station_id, key), sample_record(store.get_application(engine, number), station_id,
                                                      synthetic_fingers))
    engine.dispose()
    done = run_cli("central", "retention", "--db", url, "--dry-run")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["dry_run"] is True and report["erased"] == []
    assert report["policy"]["superseded_version_days"] == 365


# -- staff views of biometrics are audited -------------------------------------------------------------------
def test_every_staff_view_of_an_item_and_its_biometrics_is_audited(office, synthetic_fingers):
    engine = office[0]
    member = _adjudicator(engine)
    number, current = _enroll(office, synthetic_fingers, _embedding(0), PERSON_P)
    _, held = _enroll(office, synthetic_fingers, _embedding(1), PERSON_Q, number)
    [item] = adjudication.items(engine)["items"]
    assert adjudication.audit_entries(engine, str(item["id"])) == []  # listing the queue shows no biometrics
    adjudication.item(engine, item["id"], member)
    shown = adjudication.item_biometrics(engine, item["id"], member)
    assert set(shown["records"]) == {held, current}
    assert "face.iso19794-5" in shown["records"][held]["files"]
    entries = adjudication.audit_entries(engine, str(item["id"]))
    assert [(e["actor"], e["action"]) for e in entries] == [("Dewi", "adjudication.view"),
                                                             ("Dewi", "adjudication.view_biometrics")]
    assert entries[0]["detail"]["packets"] == [held, current]
    assert entries[0]["detail"]["applications"] == [number, number]


def test_an_item_read_through_the_api_is_audited(central, synthetic_fingers):
    engine = db.connect(central.db)
    key = Ed25519PrivateKey.generate()
    station_id, _ = store.register_station(engine, store.issue_token(engine, "c"), public_bytes(key.public_key()))
    office = (engine, station_id, key)
    number, current = _enroll(office, synthetic_fingers, _embedding(0), PERSON_P)
    _, held = _enroll(office, synthetic_fingers, _embedding(1), PERSON_Q, number)
    _adjudicator(engine)
    [item] = adjudication.items(engine)["items"]
    answer = httpx.get(f"{central.url}/api/v1/adjudication/{item['id']}", auth=("Dewi", PASSWORD), timeout=30)
    assert answer.status_code == 200, answer.text
    [entry] = [e for e in adjudication.audit_entries(engine, str(item["id"])) if e["action"] == "adjudication.view"]
    assert entry["actor"] == "Dewi" and entry["detail"]["packets"] == [held, current]
    engine.dispose()
