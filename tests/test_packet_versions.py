"""Packet versions (issue 27, item 14): a station one release behind still delivers to an upgraded central
record; a packet of a format this central record does not know is refused naming the ones it accepts.

The manifest has carried ``format`` ("biostation-record/1") since the first release; the release before
this one sent it without ``audit_seq``, ``audit_at`` and ``audit_reanchor``.
"""

from __future__ import annotations

import json
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central import db, store, wire
from central.wire import PacketContent, PacketError, new_packet_id, open_sealed, public_bytes, seal
from enrollment.packet import FORMAT, packet_layout
from enrollment.synthetic import sample_record


@pytest.fixture
def office(tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'central.db'}")
    key = Ed25519PrivateKey.generate()
    station_id, _ = store.register_station(engine, store.issue_token(engine, "counter"), public_bytes(key.public_key()))
    yield engine, station_id, key
    engine.dispose()


def _packet(engine, station_id, key, fingers, change=None):
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    record = sample_record(store.get_application(engine, number), station_id, fingers)
    pid = new_packet_id()
    manifest, files = packet_layout(record, pid, "0" * 64)
    if change is not None:
        change(manifest)
    sealed = seal(PacketContent(manifest, files), pid, station_id, key, store.central_key(engine).public_key())
    return pid, open_sealed(sealed, store.central_key(engine), store.station_keys(engine).get)


def test_the_station_writes_the_format_the_central_record_reads():
    assert FORMAT == wire.PACKET_FORMAT
    assert wire.PACKET_FORMAT in wire.ACCEPTED_FORMATS


def test_a_packet_from_the_release_before_is_stored(office, synthetic_fingers):
    """As the release before sealed it: format 1, no audit_seq/audit_at/audit_reanchor."""
    engine, station_id, key = office
    pid, opened = _packet(engine, station_id, key, synthetic_fingers)
    assert opened.content.manifest["format"] == "biostation-record/1"
    assert not {"audit_seq", "audit_at", "audit_reanchor"} & set(opened.content.manifest)
    result = store.intake(engine, opened)
    assert (result.status, result.record_status) == ("stored", "accepted")
    assert store.record_files(engine, pid) == opened.content.files


def test_this_releases_packet_is_stored(office, synthetic_fingers):
    engine, station_id, key = office

    def today(manifest: dict) -> None:
        manifest.update(audit_seq=7, audit_at="2026-12-06T08:00:00+00:00", audit_reanchor=None)

    _, opened = _packet(engine, station_id, key, synthetic_fingers, today)
    assert store.intake(engine, opened).status == "stored"
    assert any(e["outcome"] == "audit_head" for e in store.intake_events(engine))


def test_a_manifest_without_a_format_is_read_as_the_first(office, synthetic_fingers):
    engine, station_id, key = office
    _, opened = _packet(engine, station_id, key, synthetic_fingers, lambda m: m.pop("format"))
    assert store.intake(engine, opened).status == "stored"


@pytest.mark.parametrize("future", ["biostation-record/2", "something-else", 2])
def test_a_later_format_is_refused_naming_the_accepted_ones(office, synthetic_fingers, future):
    engine, station_id, key = office
    pid, opened = _packet(engine, station_id, key, synthetic_fingers, lambda m: m.update(format=future))
    with pytest.raises(PacketError) as caught:
        store.intake(engine, opened)
    assert (caught.value.status, caught.value.message_id) == (422, "central.packet_format_unknown")
    assert caught.value.params["accepted"] == "biostation-record/1"
    assert caught.value.params["format"] == str(future)
    assert store.packet_status(engine, pid) is None


def test_a_later_sealing_is_refused_by_name_not_as_undecryptable():
    header = json.dumps({"v": 2, "packet_id": "a" * 32, "station_id": "s", "ephemeral": wire.b64(b"\0" * 32)}).encode()
    data = wire.MAGIC + struct.pack(">I", len(header)) + header + b"\0" * 64
    with pytest.raises(PacketError) as caught:
        wire.read_header(data)
    assert caught.value.message_id == "central.packet_version_unknown"
    assert caught.value.params == {"version": "2", "accepted": "1"}
