"""What the central record accepts (review issue 27): findings 1, 7 and 8, each shown as the reviewer found it.

1. a registered station re-enrolling an application with someone else's biometrics (or none);
7. a signed packet that inflates to hundreds of megabytes;
8. ISO/IEC 19794-2 records with sizes, resolutions and minutiae no sensor produces.

The server tests run ``biostation central serve`` (SQLite, and PostgreSQL with BIOSTATION_TEST_PG);
the rest call the store, the wire and the decoder directly.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import struct
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

import cv2
import httpx
import numpy as np
import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine

from central import db, store, versions, wire
from central.identification import biometrics
from central.migrations import config
from central.service import PACKET_TYPE
from central.wire import PacketContent, PacketError, new_packet_id, open_sealed, public_bytes, seal, unpack_content
from domain.fingers import FingerPosition
from enrollment.fusion import fuse
from enrollment.record import EnrollmentRecord, FingerCaptureResult
from enrollment.synthetic import SENSOR, face_result
from matching.fingerprint.extractor import extract
from matching.fingerprint.iso19794_2 import (
    HEADER,
    MINUTIA,
    VIEW,
    FingerprintRecordError,
    decode_record,
    encode_record,
)
from matching.fingerprint.template import Template
from matching.gallery import Gallery
from station.keys import signing_key
from station.settings import load_settings
from station.station import Station
from tests.conftest import run_cli


# -- biometrics of two made-up people ------------------------------------------------------------
def _image(folder, finger: int, impression: int) -> np.ndarray:
    return cv2.imread(str(folder / f"{finger:03d}_{impression}.png"), cv2.IMREAD_GRAYSCALE)


def _embedding(seed: int) -> np.ndarray:
    return face_result(seed).embedding


def _near(embedding: np.ndarray, seed: int = 99) -> np.ndarray:
    """The same face captured again: the descriptor moves by about 0.1 (the threshold is 0.598)."""
    step = np.random.default_rng(seed).normal(size=128).astype(np.float32)
    return (embedding + 0.1 * step / np.linalg.norm(step)).astype(np.float32)


def _record(application: dict, station_id: str, folder, embedding, fingers: dict[int, tuple[int, int]]):
    """An enrollment record: this face embedding and, per ISO position, (synthetic finger, impression)."""
    now = datetime.now(UTC).isoformat()
    captured = [FingerCaptureResult(FingerPosition(p), _image(folder, f, k), 500, extract(_image(folder, f, k)), 80, 2,
                                    0.2, SENSOR) for p, (f, k) in sorted(fingers.items())]
    return EnrollmentRecord(application, "siti", station_id, {"obtained": True, "at": now}, now,
                            face=replace(face_result(0), embedding=np.asarray(embedding, np.float32)),
                            fingers=captured, finished_at=now)


PERSON_P = {1: (1, 1), 2: (2, 1)}  # fingers 001 and 002 at the right thumb and index
PERSON_P_AGAIN = {1: (1, 2), 2: (2, 2)}  # their second impressions
PERSON_Q = {1: (3, 1), 2: (4, 1)}  # someone else's fingers at the same positions


def _post(url: str, data: bytes) -> httpx.Response:
    return httpx.post(url + "/api/v1/packets", content=data, headers={"content-type": PACKET_TYPE}, timeout=60)


def _templates(station: Station, number: str) -> dict:
    return station.link().templates(number)


def _reseal(station: Station, engine, manifest: dict, files: dict[str, bytes]) -> bytes:
    """A packet the registered ``station`` signs with its real key: whatever it chooses to put in."""
    pid = new_packet_id()
    manifest = dict(manifest, packet_id=pid,
                    files={n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())})
    reg = station.registration
    return seal(PacketContent(manifest, files), pid, reg.station_id, signing_key(station.home), reg.central_key)


@pytest.fixture
def two_stations(central, tmp_path):
    engine = db.connect(central.db)
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    stations = []
    for i in (1, 2):
        station = Station(load_settings({"BIOSTATION_HOME": str(tmp_path / f"station-{i}")}))
        station.register(central.url, store.issue_token(engine, f"counter {i}"))
        stations.append(station)
    yield stations, engine, stations[0].applications().lookup(number), central
    for station in stations:
        station.close()
    engine.dispose()


# -- finding 1: one application, several enrollments -------------------------------------------------
def test_a_second_station_cannot_replace_an_enrolled_applicants_biometrics(two_stations, synthetic_fingers):
    """Issue 27, finding 1: A enrolled at station 1 (person P), then again at station 2 with person Q's face
    and fingers. Q's packet is kept but held; /templates (what verification reads) still serves P; P's own
    recapture is accepted and becomes current; the records listing shows each version's status."""
    (first, second), engine, application, central = two_stations
    number = application["number"]
    p_face = _embedding(0)
    pid = first.submit(_record(application, first.registration.station_id, synthetic_fingers, p_face, PERSON_P))
    assert _post(central.url, first.outbox.wire(pid)).status_code == 201
    enrolled = _templates(first, number)

    impostor = second.submit(_record(application, second.registration.station_id, synthetic_fingers,
                                     _embedding(1), PERSON_Q))
    answer = _post(central.url, second.outbox.wire(impostor))
    assert answer.status_code == 201  # stored: every version is kept
    assert _templates(second, number) == enrolled  # verification still reads P
    assert (answer.json()["record_status"], answer.json()["hold_reason"]) == ("held", "central.held_no_match")

    again = second.submit(_record(application, second.registration.station_id, synthetic_fingers, _near(p_face),
                                  PERSON_P_AGAIN))
    answer = _post(central.url, second.outbox.wire(again))
    assert answer.status_code == 201 and answer.json()["record_status"] == "accepted"
    current = _templates(first, number)
    assert current != enrolled
    assert np.allclose(current["face_embedding"], _near(p_face), atol=1e-5)

    records = {r["packet_id"]: r for r in store.list_records(engine)}
    assert [(records[p]["status"], records[p]["hold_reason"]) for p in (pid, impostor, again)] == [
        ("accepted", None), ("held", "central.held_no_match"), ("accepted", None)]
    assert records[impostor]["verification"]["against"] == pid
    assert records[again]["verification"]["against"] == pid
    listed = run_cli("central", "records", "--db", central.db, "--json")
    assert listed.returncode == 0, listed.stderr
    assert {r["packet_id"]: r["status"] for r in json.loads(listed.stdout)} == {
        pid: "accepted", impostor: "held", again: "accepted"}
    status = httpx.get(central.url + f"/api/v1/packets/{impostor}", timeout=10,
                       headers=wire.sign_request("GET", f"/api/v1/packets/{impostor}", b"",
                                                 second.registration.station_id, signing_key(second.home)))
    assert status.json()["record_status"] == "held"


def test_a_forged_packet_without_biometrics_is_refused(two_stations, synthetic_fingers):
    """Issue 27, finding 1: a signed packet holding only a text file was stored and emptied A's templates."""
    (first, second), engine, application, central = two_stations
    number = application["number"]
    pid = first.submit(_record(application, first.registration.station_id, synthetic_fingers, _embedding(0),
                               PERSON_P))
    assert _post(central.url, first.outbox.wire(pid)).status_code == 201
    enrolled = _templates(first, number)
    manifest = {"format": "biostation-record/1", "station_id": second.registration.station_id,
                "application": number, "devices": [], "fingers": [], "face": None}
    answer = _post(central.url, _reseal(second, engine, manifest, {"notes.txt": b"nothing to see"}))
    assert answer.status_code == 422 and answer.json()["error"] == "central.no_biometrics"
    assert _templates(first, number) == enrolled
    assert store.record_count(engine) == 1


@pytest.fixture
def intake_db(central_db):
    """A database with one application and one registered station; no server."""
    engine = db.connect(central_db)
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    key = Ed25519PrivateKey.generate()
    station_id, _ = store.register_station(engine, store.issue_token(engine, "counter"), public_bytes(key.public_key()))
    yield engine, number, station_id, key
    engine.dispose()


def _opened(engine, station_id: str, key, manifest: dict, files: dict[str, bytes]):
    pid = new_packet_id()
    manifest = dict(manifest, packet_id=pid, station_id=station_id, devices=[],
                    files={n: hashlib.sha256(d).hexdigest() for n, d in sorted(files.items())})
    sealed = seal(PacketContent(manifest, files), pid, station_id, key, store.central_key(engine).public_key())
    return open_sealed(sealed, store.central_key(engine), store.station_keys(engine).get)


def _layout(number: str, embedding, fingers: dict[int, Template] | None = None) -> tuple[dict, dict[str, bytes]]:
    files: dict[str, bytes] = {}
    face = None
    if embedding is not None:
        files["face.iso19794-5"] = b"FAC\x00 stand-in"
        face = {"record": "face.iso19794-5", "embedding": [float(v) for v in embedding]}
    entries = []
    for position, template in sorted((fingers or {}).items()):
        files[f"finger-{position:02d}.iso19794-2"] = encode_record(template, position)
        entries.append({"position": position, "template": f"finger-{position:02d}.iso19794-2"})
    return {"application": number, "face": face, "fingers": entries, "exceptions": []}, files


def _refusal(engine, station_id, key, manifest, files) -> tuple[int, str]:
    with pytest.raises(PacketError) as err:
        store.intake(engine, _opened(engine, station_id, key, manifest, files))
    return err.value.status, err.value.message_id


def test_the_central_minimum_is_checked_before_a_record_is_stored(intake_db, synthetic_fingers):
    """A face needs its embedding, a finger a readable template at its own position, and a declared policy
    its fingers (or an exception for each)."""
    engine, number, station_id, key = intake_db
    thumb = extract(_image(synthetic_fingers, 1, 1))
    manifest, files = _layout(number, _embedding(0), {1: thumb})
    bad_face = dict(manifest, face=dict(manifest["face"], embedding=[float("nan")] * 128))
    assert _refusal(engine, station_id, key, bad_face, files) == (422, "central.bad_face")
    no_face_file = dict(manifest, face=dict(manifest["face"], record="face.jpg"))
    assert _refusal(engine, station_id, key, no_face_file, files) == (422, "central.bad_face")
    elsewhere = dict(manifest, fingers=[dict(manifest["fingers"][0], position=7)])
    assert _refusal(engine, station_id, key, elsewhere, files) == (422, "central.bad_template")
    policy = dict(manifest, policy={"fingers": [1, 2, "left-thumb"]},
                  exceptions=[{"position": 2, "finger": "right-index", "reason": "injured"}])
    assert _refusal(engine, station_id, key, policy, files) == (422, "central.fingers_missing")
    assert store.record_count(engine) == 0
    excused = dict(policy, exceptions=policy["exceptions"] + [{"position": 6, "reason": "missing"}])
    assert store.intake(engine, _opened(engine, station_id, key, excused, files)).record_status == "accepted"
    # a child's record: a face, every finger excused for age
    child, child_files = _layout(number, _near(_embedding(0)))
    child = dict(child, policy={"fingers": [2, 7]}, exceptions=[{"position": 2, "reason": "age"},
                                                               {"position": 7, "reason": "age"}])
    assert store.intake(engine, _opened(engine, station_id, key, child, child_files)).record_status == "accepted"


@functools.cache
def _template(folder, finger: int, impression: int) -> Template:
    return extract(_image(folder, finger, impression))


def _versions(folder, face, fingers: dict[int, tuple[int, int]]) -> tuple[dict, dict[str, bytes]]:
    return _layout("A", face, {p: _template(folder, f, k) for p, (f, k) in fingers.items()})


def test_a_version_that_copies_one_modality_is_held(synthetic_fingers):
    """Any registered station can read an application's face embedding and templates (/templates). The
    fused sum lets one copied modality carry someone else's other one, so each shared modality must agree."""
    enrolled = _versions(synthetic_fingers, _embedding(0), PERSON_P)
    same = versions.compare_versions(enrolled, _versions(synthetic_fingers, _near(_embedding(0)), PERSON_P_AGAIN))
    assert same.accepted and same.fused > 0 and set(same.finger_scores) == {1, 2}
    other = versions.compare_versions(enrolled, _versions(synthetic_fingers, _embedding(1), PERSON_Q))
    assert (other.accepted, other.reason) == (False, "central.held_no_match")

    copied_face = versions.compare_versions(enrolled, _versions(synthetic_fingers, _embedding(0), PERSON_Q))
    assert fuse(copied_face.face_distance, min(copied_face.finger_scores.values())).accepted  # the sum alone
    assert (copied_face.accepted, copied_face.reason) == (False, "central.held_no_match")
    copied_fingers = versions.compare_versions(enrolled, _versions(synthetic_fingers, _embedding(1), PERSON_P))
    assert (copied_fingers.accepted, copied_fingers.reason) == (False, "central.held_no_match")
    # one foreign finger among copied ones
    mixed = versions.compare_versions(enrolled, _versions(synthetic_fingers, _embedding(0), {1: (1, 1), 2: (4, 1)}))
    assert not mixed.accepted
    nothing = versions.compare_versions(_versions(synthetic_fingers, None, {1: (1, 1)}),
                               _versions(synthetic_fingers, _embedding(0), {2: (2, 1)}))
    assert (nothing.accepted, nothing.reason) == (False, "central.held_nothing_to_compare")


def test_a_re_enrollment_is_not_flagged_against_its_own_versions_nor_hides_others(synthetic_fingers):
    """The 1:N search skips the application's own versions, and asks for as many more candidates, so that
    thirteen versions of A do not push X (whose face and finger match) out of the top of the search."""
    face = _embedding(0)
    probe = extract(_image(synthetic_fingers, 1, 1))
    gallery = Gallery()
    gallery.add("X", biometrics(*_layout("X", _near(face), {1: extract(_image(synthetic_fingers, 1, 2))})))
    for _ in range(13):
        gallery.add("A", biometrics(*_layout("A", face, {1: probe})))
    outcome = gallery.search(biometrics(*_layout("A", face, {1: probe})), excluded={"A"})
    assert [c.person for c in outcome.flagged] == ["X"]
    x = outcome.flagged[0]
    assert x.modalities == 2 and x.face_distance is not None and [f.probe_position for f in x.fingers] == [1]
    alone = Gallery()
    alone.add("A", biometrics(*_layout("A", face, {1: probe})))
    again = biometrics(*_layout("A", _near(face), {1: extract(_image(synthetic_fingers, 1, 3))}))
    assert alone.search(again, excluded={"A"}).candidates == ()


def test_records_stored_before_versions_existed_are_the_current_ones(central_db):
    """Revision 0002 marks every earlier record accepted, so an upgraded office keeps verifying against it."""
    plain = create_engine(db.normalize_url(central_db))
    at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    manifest = {"application": "A1", "face": {"record": "face.iso19794-5", "embedding": [0.0] * 128}}
    with plain.begin() as conn:
        command.upgrade(config(conn), "0001")
        conn.execute(db.applications.insert().values(number="A1", given_name="Siti", surname="Rahayu",
                                                     birth_date="1990-01-02", service="passport",
                                                     appointment_at=at, created_at=at))
        conn.execute(db.stations.insert().values(station_id="s1", name="counter", public_key=b"k" * 32,
                                                 registered_at=at))
        conn.execute(db.records.insert().values(packet_id="p" * 32, application="A1", station_id="s1",
                                                digest="d" * 64, received_at=at, manifest=json.dumps(manifest),
                                                emulated=False))  # the columns 0001 has
    plain.dispose()
    engine = db.connect(central_db)
    try:
        assert [(r["status"], r["hold_reason"]) for r in store.list_records(engine)] == [("accepted", None)]
        assert store.latest_record(engine, "A1")[0] == manifest
    finally:
        engine.dispose()


# -- finding 7: decompression bombs ----------------------------------------------------------------
def _bomb(sizes: dict[str, int], manifest: dict | None = None) -> bytes:
    """A zip of deflated zeros: a few hundred KB that inflate to ``sizes`` bytes per file."""
    buf = io.BytesIO()
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(wire.MANIFEST, json.dumps(manifest or {}))
        for name, size in sizes.items():
            info = zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with z.open(info, "w", force_zip64=True) as entry:
                for start in range(0, size, len(chunk)):
                    entry.write(chunk[: min(len(chunk), size - start)])
    return buf.getvalue()


def _zeros_digest(size: int) -> str:
    digest, chunk = hashlib.sha256(), bytes(1024 * 1024)
    for start in range(0, size, len(chunk)):
        digest.update(chunk[: min(len(chunk), size - start)])
    return digest.hexdigest()


MB = 1024 * 1024


@pytest.mark.parametrize("sizes", [{"face.iso19794-5": 300 * MB},  # the reviewer's packet
                                   {"finger-01.wsq": 40 * MB},  # one file past its own limit
                                   {f"finger-0{i}.wsq": 30 * MB for i in range(1, 4)}])  # together past the total
def test_a_zip_that_inflates_past_the_limits_is_refused_unread(sizes):
    bomb = _bomb(sizes)
    assert len(bomb) < wire.MAX_PACKET_BYTES // 32
    started = time.perf_counter()
    with pytest.raises(PacketError) as err:
        unpack_content(bomb)
    assert (err.value.status, err.value.message_id) == (413, "central.packet_unpacks_too_large")
    assert time.perf_counter() - started < 2  # refused on the declared sizes, before inflating


def test_a_zip_that_understates_its_sizes_is_cut_off():
    """Sizes in the central directory are the sender's word: one that says 1 KB for 100 MB is refused after
    at most what it declared has been read, never inflated whole."""
    bomb = bytearray(_bomb({"face.iso19794-5": 100 * MB}))
    directory = bomb.rfind(b"PK\x01\x02")
    name_at = bomb.index(b"face.iso19794-5", directory)
    extra = struct.unpack_from("<H", bomb, directory + 30)[0]
    struct.pack_into("<I", bomb, directory + 24, 1024)  # uncompressed size, or 0xFFFFFFFF and zip64 extra
    if extra:  # the zip64 extra field holds the real sizes: understate there too
        field_at = name_at + len("face.iso19794-5")
        struct.pack_into("<Q", bomb, field_at + 4, 1024)
    started = time.perf_counter()
    with pytest.raises(PacketError) as err:
        unpack_content(bytes(bomb))
    assert err.value.status in (400, 413)
    assert time.perf_counter() - started < 2


def test_a_signed_packet_that_inflates_to_300_mb_is_refused_by_the_service(two_stations, monkeypatch):
    """Issue 27, finding 7: the 32 MB limit held for the wire only; the packet below was stored."""
    (first, _), engine, application, central = two_stations
    pid, size = new_packet_id(), 300 * MB
    reg = first.registration
    manifest = {"format": "biostation-record/1", "packet_id": pid, "station_id": reg.station_id,
                "application": application["number"], "devices": [], "fingers": [], "face": None,
                "files": {"face.iso19794-5": _zeros_digest(size)}}
    bomb = _bomb({"face.iso19794-5": size}, manifest)
    monkeypatch.setattr(wire, "pack_content", lambda _content: bomb)
    sealed = seal(PacketContent(manifest, {}), pid, reg.station_id, signing_key(first.home), reg.central_key)
    assert len(sealed) < MB
    answer = _post(central.url, sealed)
    assert answer.status_code == 413 and answer.json()["error"] == "central.packet_unpacks_too_large"
    assert store.record_count(engine) == 0


# -- finding 8: ISO/IEC 19794-2 bounds --------------------------------------------------------------
def _iso(width: int = 400, height: int = 500, ppcm: int = 197, minutiae=((100, 100),), position: int = 1) -> bytes:
    """A record written field by field (``encode_record`` would not write these values)."""
    body = VIEW.pack(position, 0, 60, len(minutiae))
    body += b"".join(MINUTIA.pack((0b01 << 14) | x, y, 0, 50) for x, y in minutiae) + b"\x00\x00"
    return HEADER.pack(b"FMR\x00", b" 20\x00", HEADER.size + len(body), 0, width, height, ppcm, ppcm, 1, 0) + body


@pytest.mark.parametrize("record, message_id", [
    pytest.param(_iso(width=65535), "template.bad_size", id="width-65535"),
    pytest.param(_iso(height=65535), "template.bad_size", id="height-65535"),
    pytest.param(_iso(width=0), "template.bad_size", id="width-0"),
    pytest.param(_iso(ppcm=1), "template.bad_resolution", id="3-ppi"),
    pytest.param(_iso(ppcm=97), "template.bad_resolution", id="246-ppi"),
    pytest.param(_iso(ppcm=395), "template.bad_resolution", id="1003-ppi"),
    pytest.param(_iso(ppcm=65535), "template.bad_resolution", id="166459-ppi"),
    pytest.param(_iso(minutiae=((400, 10),)), "template.bad_minutia", id="x-at-width"),
    pytest.param(_iso(minutiae=((10, 9000),)), "template.bad_minutia", id="y-below-image"),
    pytest.param(_iso(minutiae=tuple((i % 400, i % 500) for i in range(201))), "template.too_many_minutiae",
                 id="201-minutiae"),
])
def test_records_no_sensor_produces_are_refused(record, message_id):
    with pytest.raises(FingerprintRecordError) as err:
        decode_record(record)
    assert err.value.message_id == message_id


def test_records_within_the_bounds_still_read():
    assert decode_record(_iso(width=4000, height=4000, ppcm=394))[0].dpi == 1001  # 1000 ppi as written: 4 inches
    assert decode_record(_iso(ppcm=98))[0].dpi == 249  # 250 ppi as written
    assert decode_record(_iso(ppcm=0))[0].dpi == 500  # resolution not stated
    assert len(decode_record(_iso(minutiae=tuple((i, i) for i in range(200))))[0]) == 200
    many = Template(400, 500, np.array([(i % 400, i % 500, 0.0, 1, i % 100) for i in range(260)], float))
    assert len(decode_record(encode_record(many))[0]) == 200  # the writer keeps the best the reader takes


def test_a_record_with_an_out_of_bounds_template_is_refused_not_searched(intake_db, synthetic_fingers):
    """Issue 27, finding 8: one 65535 × 65535 template made a duplicate check take 52 s and OpenCV ask for 4.3 GB."""
    engine, number, station_id, key = intake_db
    manifest, files = _layout(number, _embedding(0), {1: extract(_image(synthetic_fingers, 1, 1))})
    files["finger-01.iso19794-2"] = _iso(width=65535, height=65535, minutiae=((60000, 60000),) * 10)
    started = time.perf_counter()
    with pytest.raises(PacketError) as err:
        store.intake(engine, _opened(engine, station_id, key, manifest, files))
    assert (err.value.status, err.value.message_id) == (422, "central.bad_template")
    assert err.value.params == {"finger": "right-thumb", "problem": "template.bad_size"}
    assert store.record_count(engine) == 0
    gallery = Gallery()
    gallery.add("B", biometrics(*_layout("B", _embedding(1), {1: extract(_image(synthetic_fingers, 2, 1))})))
    record = biometrics(manifest, files)  # the search runs on what is usable and says what was not
    assert record.unusable == ("central.search_finger_unusable",) and record.face is not None
    assert gallery.search(record, excluded={number}).flagged == ()
    assert time.perf_counter() - started < 5
