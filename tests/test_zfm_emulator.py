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
from matching.evaluation.fvc import evaluation_image
from matching.fingerprint.segmentation import foreground_mask
from matching.fingerprint.zfm_image import nibbles_to_gray, print_centre, zfm_nibbles


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


def test_uploaded_image_is_the_4_bit_zfm_view(client, emulator, synthetic_fingers, tmp_path):
    source = cv2.imread(str(sorted(synthetic_fingers.glob("002_*.png"))[0]), cv2.IMREAD_GRAYSCALE)
    emulator.place_image(source)
    assert client.readImage()
    target = tmp_path / "up.png"
    client.downloadImage(str(target))
    received = cv2.imread(str(target), cv2.IMREAD_GRAYSCALE)
    assert received.shape == (288, 256)
    expected = zfm_nibbles(source, 500)
    assert np.array_equal(received // 17, expected)
    assert np.array_equal(received % 17, np.zeros_like(received))


def test_small_images_are_padded_with_white_not_scaled():
    small = np.zeros((100, 80), np.uint8)
    out = zfm_nibbles(small, 500)
    assert out.shape == (288, 256)
    assert (out == 15).sum() == 288 * 256 - 100 * 80
    assert (out[94:194, 88:168] == 0).all()


def _finger(synthetic_fingers, name: str = "002_1") -> np.ndarray:
    return cv2.imread(str(synthetic_fingers / f"{name}.png"), cv2.IMREAD_GRAYSCALE)


def _print_box(nibbles: np.ndarray) -> tuple[float, float]:
    """The centre (x, y) of the non-white part of a view: where the print lies in the window."""
    ys, xs = np.nonzero(nibbles < 15)
    return (xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2


def test_a_print_off_centre_in_a_larger_canvas_lands_centred(synthetic_fingers):
    finger = _finger(synthetic_fingers)
    h, w = finger.shape
    canvas = np.full((h + 700, w + 700), 255, np.uint8)
    canvas[20 : 20 + h, 680 : 680 + w] = finger  # top right, far from the canvas's centre
    # the old centre crop saw white canvas only
    y0, x0 = (h + 700 - 288) // 2, (w + 700 - 256) // 2
    assert (canvas[y0 : y0 + 288, x0 : x0 + 256] == 255).all()
    out = zfm_nibbles(canvas, 500)
    assert out.shape == (288, 256)
    x, y = _print_box(out)
    assert abs(x - 128) < 30 and abs(y - 144) < 30
    assert (out < 15).mean() > 0.5  # and it sees the print, not a corner of it


def test_the_window_stays_inside_an_image_larger_than_it(synthetic_fingers):
    finger = _finger(synthetic_fingers)
    corner = np.full((600, 600), 200, np.uint8)  # gray, not white: padding would show
    corner[-250:, -220:] = finger[:250, :220]  # a print cut by the bottom right corner
    x, y = print_centre(foreground_mask(corner))
    assert x > 600 - 128 and y > 600 - 144  # centred on it, the window would reach past the corner
    out = zfm_nibbles(corner, 500)
    assert np.array_equal(out, corner[-288:, -256:] >> 4)  # shifted back inside, not padded


def test_a_small_image_is_padded_white_around_its_print(synthetic_fingers):
    finger = _finger(synthetic_fingers)[:200, :180]
    out = zfm_nibbles(finger, 500)
    ys, xs = np.nonzero(out < 15)
    assert out.shape == (288, 256)
    # all of the image is there, nothing cut: the padding is white and nothing else
    assert (out == 15).sum() >= 288 * 256 - 200 * 180
    assert xs.max() - xs.min() < 180 and ys.max() - ys.min() < 200
    x, y = _print_box(out)
    assert abs(x - 128) <= 40 and abs(y - 144) <= 45


def test_a_blank_image_is_windowed_at_its_centre():
    # a smooth ramp: no ridges, so no foreground; its levels show where the window lies
    blank = np.tile(np.linspace(100, 230, 360), (400, 1)).astype(np.uint8)
    assert not foreground_mask(blank).any()
    out = zfm_nibbles(blank, 500)
    assert np.array_equal(out, blank[56:344, 52:308] >> 4)


def test_a_569_dpi_file_is_resampled_to_500_before_the_window(synthetic_fingers):
    finger = _finger(synthetic_fingers)
    at_569 = cv2.resize(finger, None, fx=569 / 500, fy=569 / 500, interpolation=cv2.INTER_CUBIC)
    out = zfm_nibbles(at_569, 569)
    assert out.shape == (288, 256)
    seen = nibbles_to_gray(out).astype(float)
    direct = nibbles_to_gray(zfm_nibbles(finger, 500)).astype(float)
    # the same finger at the same scale in nearly the same place: the two views correlate
    assert np.corrcoef(seen.ravel(), direct.ravel())[0, 1] > 0.6
    # taken for 500 dpi, the ridges would be 14 % too wide apart: it correlates far less
    unscaled = nibbles_to_gray(zfm_nibbles(at_569, 500)).astype(float)
    assert np.corrcoef(unscaled.ravel(), direct.ravel())[0, 1] < 0.5


def test_the_emulator_serves_the_pixels_the_eval_scores(synthetic_fingers, tmp_path):
    """Same file, same dpi.txt: the sensor's upload and ``eval --sensor zfm``'s image are one."""
    folder = tmp_path / "at569"
    folder.mkdir()
    (folder / "dpi.txt").write_text("569\n")
    for name in ("001_1", "002_2"):
        big = cv2.resize(_finger(synthetic_fingers, name), None, fx=1.138, fy=1.138)
        canvas = np.full((big.shape[0] + 120, big.shape[1] + 90), 255, np.uint8)
        canvas[100 : 100 + big.shape[0], 10 : 10 + big.shape[1]] = big
        cv2.imwrite(str(folder / f"{name}.png"), canvas)
    fingers = load_finger_set(folder)
    assert fingers.dpi == 569
    emulator = ZfmEmulator(fingers)
    with PtyLink(emulator) as served:
        fp = PyFingerprint(served.path, 57600, 0xFFFFFFFF, 0)
        assert fp.verifyPassword()
        for finger, path in ((1, folder / "001_1.png"), (2, folder / "002_2.png")):
            emulator.place(finger, 1)
            assert fp.readImage()
            target = tmp_path / "up.png"
            fp.downloadImage(str(target))
            uploaded = cv2.imread(str(target), cv2.IMREAD_GRAYSCALE)
            scored, dpi = evaluation_image(path, fingers.dpi, "zfm")
            assert dpi == 500 and np.array_equal(uploaded, scored)


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
            expected = zfm_nibbles(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), 500)
            assert np.array_equal(emu.image, expected)


def test_a_finger_folder_with_a_bad_dpi_file_is_refused_naming_it(synthetic_fingers, tmp_path):
    from drivers.errors import BadImageSource

    folder = tmp_path / "bad"
    folder.mkdir()
    cv2.imwrite(str(folder / "001_1.png"), _finger(synthetic_fingers, "001_1"))
    (folder / "dpi.txt").write_text("unknown\n")
    with pytest.raises(BadImageSource) as caught:
        load_finger_set(folder)
    assert caught.value.message_id == "fingerprint.bad_dpi_file"
    assert caught.value.params["path"] == str(folder / "dpi.txt")
