"""Sealed packets and signed requests: what opens, and every way a packet must not."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from central.wire import (
    PacketContent,
    PacketError,
    ReplayGuard,
    new_packet_id,
    open_sealed,
    pack_content,
    seal,
    sign_request,
    verify_request,
)

STATION = "a1b2c3d4e5f60718"


@pytest.fixture
def keys():
    return Ed25519PrivateKey.generate(), X25519PrivateKey.generate()


def _content(pid: str) -> PacketContent:
    return PacketContent({"packet_id": pid, "station_id": STATION, "application": "P1"},
                         {"face.iso19794-5": b"FAC\x00" + bytes(range(200)), "finger-01.iso19794-2": b"FMR\x00x"})


def test_round_trip_and_deterministic_content(keys):
    signing, central = keys
    pid = new_packet_id()
    wire = seal(_content(pid), pid, STATION, signing, central.public_key())
    opened = open_sealed(wire, central, {STATION: signing.public_key()}.get)
    assert opened.content == _content(pid)
    assert opened.header.packet_id == pid
    assert pack_content(_content(pid)) == pack_content(_content(pid))
    # sealed twice, the bytes differ (fresh ephemeral key) but the content digest is the same
    again = open_sealed(seal(_content(pid), pid, STATION, signing, central.public_key()), central,
                        {STATION: signing.public_key()}.get)
    assert again.digest == opened.digest


@pytest.mark.parametrize("where", [0, 5, 30, 60, -1, -40, "middle"])
def test_any_flipped_byte_is_refused(keys, where):
    signing, central = keys
    pid = new_packet_id()
    wire = bytearray(seal(_content(pid), pid, STATION, signing, central.public_key()))
    index = len(wire) // 2 if where == "middle" else where
    wire[index] ^= 0x01
    with pytest.raises(PacketError) as err:
        open_sealed(bytes(wire), central, {STATION: signing.public_key()}.get)
    assert 400 <= err.value.status < 500


def test_wrong_central_key_and_wrong_station_key(keys):
    signing, central = keys
    pid = new_packet_id()
    wire = seal(_content(pid), pid, STATION, signing, central.public_key())
    with pytest.raises(PacketError) as err:
        open_sealed(wire, X25519PrivateKey.generate(), {STATION: signing.public_key()}.get)
    assert err.value.message_id == "central.packet_undecryptable"
    impostor = Ed25519PrivateKey.generate()
    forged = seal(_content(pid), pid, STATION, impostor, central.public_key())
    with pytest.raises(PacketError) as err:
        open_sealed(forged, central, {STATION: signing.public_key()}.get)
    assert (err.value.status, err.value.message_id) == (401, "central.packet_bad_signature")
    with pytest.raises(PacketError) as err:
        open_sealed(wire, central, {}.get)
    assert err.value.status == 403


def test_truncated_and_foreign_bytes(keys):
    signing, central = keys
    for data in (b"", b"BSP1", b"GIF89a" + bytes(100), b"BSP1\x00\x00\xff\xff" + bytes(10)):
        with pytest.raises(PacketError) as err:
            open_sealed(data, central, {STATION: signing.public_key()}.get)
        assert err.value.status == 400


def test_signed_requests(keys):
    signing, _ = keys
    lookup = {STATION: signing.public_key()}.get
    headers = {k.lower(): v for k, v in sign_request("GET", "/api/v1/applications/P1", b"", STATION, signing,
                                                     now=1000).items()}
    assert verify_request("GET", "/api/v1/applications/P1", b"", headers, lookup, now=1010) == STATION
    with pytest.raises(PacketError, match="request_bad_signature"):
        verify_request("GET", "/api/v1/applications/P2", b"", headers, lookup, now=1010)
    with pytest.raises(PacketError, match="request_stale"):
        verify_request("GET", "/api/v1/applications/P1", b"", headers, lookup, now=5000)


def test_the_query_string_is_signed_in_any_order(keys):
    signing, _ = keys
    lookup = {STATION: signing.public_key()}.get
    headers = {k.lower(): v for k, v in sign_request("GET", "/api/v1/appointments", b"", STATION, signing, now=1000,
                                                     query={"day": "2026-12-07", "zone": "Asia/Jakarta"}).items()}
    assert verify_request("GET", "/api/v1/appointments", b"", headers, lookup, now=1000,
                          query="zone=Asia%2FJakarta&day=2026-12-07") == STATION
    for changed in ("day=2026-12-08&zone=Asia%2FJakarta", "day=2026-12-07&zone=Asia%2FJakarta&office=all",
                    "day=2026-12-07"):
        with pytest.raises(PacketError, match="request_bad_signature"):
            verify_request("GET", "/api/v1/appointments", b"", headers, lookup, now=1000, query=changed)


def test_a_signed_request_is_taken_once(keys):
    signing, _ = keys
    lookup = {STATION: signing.public_key()}.get
    guard = ReplayGuard()
    first = {k.lower(): v for k, v in sign_request("POST", "/api/v1/feedback", b"{}", STATION, signing,
                                                   now=1000).items()}
    second = {k.lower(): v for k, v in sign_request("POST", "/api/v1/feedback", b"{}", STATION, signing,
                                                    now=1000).items()}
    assert verify_request("POST", "/api/v1/feedback", b"{}", first, lookup, now=1000, replays=guard) == STATION
    with pytest.raises(PacketError, match="request_replayed"):
        verify_request("POST", "/api/v1/feedback", b"{}", first, lookup, now=1001, replays=guard)
    # the same content signed again is a new request (a fresh nonce)
    assert verify_request("POST", "/api/v1/feedback", b"{}", second, lookup, now=1001, replays=guard) == STATION
    # past the window the nonce is forgotten, and the request is stale anyway
    assert guard.first_time(STATION, first["x-station-nonce"], now=1000 + guard.window_s + 1)
    without_nonce = {k: v for k, v in first.items() if k != "x-station-nonce"}
    with pytest.raises(PacketError, match="request_incomplete"):
        verify_request("POST", "/api/v1/feedback", b"{}", without_nonce, lookup, now=1000)
    with pytest.raises(PacketError) as err:
        verify_request("GET", "/x", b"", {}, lookup)
    assert err.value.status == 403
