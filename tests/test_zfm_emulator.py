"""The unmodified pyfingerprint client against the emulator on a real pseudo-terminal."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest
from pyfingerprint.pyfingerprint import PyFingerprint

from drivers.zfm import protocol as p
from drivers.zfm.emulator import ZfmEmulator
from drivers.zfm.fingers import load_finger_set
from drivers.zfm.pty_link import PtyLink
from matching.fingerprint.zfm_image import zfm_nibbles


@pytest.fixture
def client(link):
    fp = PyFingerprint(link.path, 57600, 0xFFFFFFFF, 0)
    assert fp.verifyPassword()
    return fp


def test_enroll_then_search_finds_the_same_finger_only(client, emulator):
    emulator.place(1, 1)
    assert client.readImage()
    client.convertImage(1)
    emulator.place(1, 2)
    assert client.readImage()
    client.convertImage(2)
    assert client.createTemplate()
    slot = client.storeTemplate()
    assert slot == 0
    assert client.getTemplateCount() == 1

    emulator.place(1, 3)  # an impression the enrollment never saw
    assert client.readImage()
    client.convertImage(1)
    position, score = client.searchTemplate()
    assert position == slot and score > 0

    emulator.place(2, 1)
    assert client.readImage()
    client.convertImage(1)
    assert client.searchTemplate() == (-1, -1)


def test_two_different_fingers_do_not_make_a_template(client, emulator):
    emulator.place(1, 1)
    client.readImage()
    client.convertImage(1)
    emulator.place(3, 1)
    client.readImage()
    client.convertImage(2)
    assert client.createTemplate() is False


def test_uploaded_image_is_the_4_bit_centre_crop(client, emulator, synthetic_fingers, tmp_path):
    source = cv2.imread(str(sorted(synthetic_fingers.glob("002_*.png"))[0]), cv2.IMREAD_GRAYSCALE)
    emulator.place_image(source)
    assert client.readImage()
    target = tmp_path / "up.png"
    client.downloadImage(str(target))
    received = cv2.imread(str(target), cv2.IMREAD_GRAYSCALE)
    assert received.shape == (288, 256)
    expected = zfm_nibbles(source)
    assert np.array_equal(received // 17, expected)
    assert np.array_equal(received % 17, np.zeros_like(received))


def test_small_images_are_padded_with_white_not_scaled():
    small = np.zeros((100, 80), np.uint8)
    out = zfm_nibbles(small)
    assert out.shape == (288, 256)
    assert (out == 15).sum() == 288 * 256 - 100 * 80
    assert (out[94:194, 88:168] == 0).all()


def test_no_finger_is_reported_at_once(client, emulator):
    emulator.lift()
    assert client.readImage() is False


def test_characteristics_round_trip_byte_for_byte(client, emulator):
    emulator.place(2, 1)
    client.readImage()
    client.convertImage(1)
    chars = client.downloadCharacteristics(1)
    assert len(chars) == 512
    assert client.uploadCharacteristics(2, chars) is True
    assert client.downloadCharacteristics(2) == chars
    assert client.compareCharacteristics() > 0


def test_library_survives_a_restart(client, emulator, link, tmp_path):
    for impression in (1, 2):
        emulator.place(4, impression)
        client.readImage()
        client.convertImage(impression)
    assert client.createTemplate()
    client.storeTemplate(7)
    assert client.getTemplateIndex(0)[7] is True
    link.close()
    reborn = ZfmEmulator(emulator.fingers, emulator.store.path)
    with PtyLink(reborn) as again:
        fp = PyFingerprint(again.path, 57600, 0xFFFFFFFF, 0)
        assert fp.verifyPassword()
        assert fp.getTemplateCount() == 1
        fp.loadTemplate(7, 1)
        assert fp.deleteTemplate(7)
        assert fp.getTemplateCount() == 0
        with pytest.raises(Exception, match="could not be read"):
            fp.loadTemplate(7, 1)


def test_system_parameters_and_settings(client):
    status, system_id, capacity, level, address, size, baud = client.getSystemParameters()
    assert (capacity, level, address, size, baud) == (1000, 3, 0xFFFFFFFF, 2, 6)
    client.setSecurityLevel(5)
    client.setMaxPacketSize(64)
    assert client.getSecurityLevel() == 5
    assert client.getMaxPacketSize() == 64
    assert isinstance(client.generateRandomNumber(), int)


def test_clear_database(client, emulator):
    emulator.store.settings.library[3] = "00" * 512
    assert client.getTemplateCount() == 1
    assert client.clearDatabase()
    assert client.getTemplateCount() == 0


def test_wrong_password_is_refused_and_guards_other_commands(emulator, tmp_path):
    emulator.set_password(0x1234)
    with PtyLink(emulator) as served:
        wrong = PyFingerprint(served.path, 57600, 0xFFFFFFFF, 0x9999)
        assert wrong.verifyPassword() is False
        with pytest.raises(Exception, match="0x21"):
            wrong.getTemplateCount()
        right = PyFingerprint(served.path, 57600, 0xFFFFFFFF, 0x1234)
        assert right.verifyPassword() is True
        assert right.getTemplateCount() == 0


def test_wrong_address_gets_the_address_code(link):
    fp = PyFingerprint(link.path, 57600, 0x12345678, 0)
    with pytest.raises(Exception, match="address is wrong"):
        fp.verifyPassword()


def test_packet_reader_resynchronises_after_garbage():
    reader = p.PacketReader()
    packet = p.encode(0xFFFFFFFF, p.COMMAND, bytes([p.TEMPLATE_NUM]))
    got = reader.feed(b"\x00\xef\x13\x99" + packet[:5])
    assert got == []
    got = reader.feed(packet[5:])
    assert [(pk.kind, pk.payload, bad) for pk, bad in got] == [(p.COMMAND, bytes([p.TEMPLATE_NUM]), False)]
    corrupted = packet[:-1] + bytes([packet[-1] ^ 1])
    assert reader.feed(corrupted)[0][1] is True


def test_bad_checksum_from_host_gets_receive_error(emulator):
    packet = p.Packet(0xFFFFFFFF, p.COMMAND, bytes([p.TEMPLATE_NUM]))
    (answer,) = emulator.handle(packet, bad_checksum=True)
    assert answer[9] == p.ERR_RECEIVE
    assert struct.unpack(">H", answer[7:9])[0] == 3


def test_present_auto_lays_the_folder_in_order(synthetic_fingers):
    fingers = load_finger_set(synthetic_fingers)
    emu = ZfmEmulator(fingers, None, present_auto=True)
    with PtyLink(emu) as served:
        fp = PyFingerprint(served.path, 57600, 0xFFFFFFFF, 0)
        for path in fingers.all_images[:2]:
            assert fp.readImage()
            expected = zfm_nibbles(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
            assert np.array_equal(emu.image, expected)
