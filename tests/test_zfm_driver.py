"""The station's ZFM driver: bounded waits, clear errors, recovery after every fault."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from drivers import FingerPosition, open_scanner
from drivers.errors import CaptureCancelled, DeviceBusy, DeviceProtocolError, DeviceTimeout
from drivers.zfm.driver import ZfmScanner
from drivers.zfm.pty_link import PtyLink
from matching.fingerprint.zfm_image import nibbles_to_gray, zfm_nibbles

FAULT_BOUND = 5.0  # seconds: a fault must surface well before pyfingerprint's own 24 s


@pytest.fixture
def scanner(link):
    with ZfmScanner(link.path, url=f"zfm:{link.path}", emulated=True,
                    response_timeout=0.6, byte_timeout=0.3) as s:
        yield s


@pytest.mark.parametrize("kind", ["noise", "drop", "checksum", "silence"])
def test_every_fault_is_a_clear_error_in_bounded_time_then_recovers(scanner, emulator, kind):
    assert scanner.template_count() == 0
    emulator.inject(kind)
    started = time.monotonic()
    with pytest.raises((DeviceTimeout, DeviceProtocolError)) as caught:
        scanner.template_count()
    assert time.monotonic() - started < FAULT_BOUND
    assert caught.value.message_id in ("sensor.no_answer", "device.garbled")
    assert scanner.template_count() == 0  # the very next call works


def test_fault_in_the_middle_of_an_image_upload_recovers(scanner, emulator):
    emulator.place(1, 1)
    assert scanner.finger_present()
    emulator.inject("drop")  # the ack is cut short: the rest of the upload is noise to us
    with pytest.raises((DeviceTimeout, DeviceProtocolError)):
        scanner.upload_image()
    image = scanner.upload_image()
    assert image.pixels.shape == (288, 256)


def test_random_faults_never_hang_and_the_driver_keeps_working(link, emulator):
    emulator.faults = ("noise", "drop", "checksum", "silence")
    emulator.fault_rate = 0.3
    outcomes = {"ok": 0, "error": 0}
    with _open_with_retries(link) as s:
        started = time.monotonic()
        for _ in range(30):
            try:
                s.template_count()
                outcomes["ok"] += 1
            except (DeviceTimeout, DeviceProtocolError):
                outcomes["error"] += 1
        assert time.monotonic() - started < 30 * 1.5
    assert outcomes["ok"] > 5 and outcomes["error"] > 3


def _open_with_retries(link):
    for _ in range(20):
        try:
            return ZfmScanner(link.path, emulated=True, response_timeout=0.5, byte_timeout=0.2,
                              prefer_baud=None)
        except (DeviceTimeout, DeviceProtocolError):
            continue
    raise AssertionError("could not open through the faults")


def test_capture_returns_the_sensor_image_with_progress(scanner, emulator, synthetic_fingers):
    seen: list[float] = []
    emulator.place(2, 3)
    image = scanner.capture(FingerPosition.RIGHT_INDEX, timeout=2, progress=seen.append)
    assert image.position is FingerPosition.RIGHT_INDEX
    assert image.device.emulated
    assert seen[-1] == 1.0 and len(seen) > 100 and seen == sorted(seen)
    from drivers.zfm.fingers import read_gray

    expected = nibbles_to_gray(zfm_nibbles(read_gray(emulator.fingers.image_path(2, 3)), 500))
    assert np.array_equal(image.pixels, expected)


def test_no_finger_times_out_with_a_clear_message(scanner):
    started = time.monotonic()
    with pytest.raises(DeviceTimeout) as caught:
        scanner.capture(timeout=0.3)
    assert caught.value.message_id == "sensor.no_finger"
    assert time.monotonic() - started < 2


def test_cancel_stops_waiting_for_a_finger(scanner):
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    with pytest.raises(CaptureCancelled):
        scanner.capture(timeout=10, cancel=cancel)


def test_cancel_during_a_paced_upload_then_recover(synthetic_fingers, emulator):
    emulator.store.settings.baud_multiplier = 6
    with PtyLink(emulator, pace=True) as served, ZfmScanner(
        served.path, emulated=True, prefer_baud=None
    ) as s:
        emulator.place(1, 1)
        assert s.finger_present()
        cancel = threading.Event()
        progress: list[float] = []

        def watch(fraction: float) -> None:
            progress.append(fraction)
            if fraction > 0.05:
                cancel.set()

        started = time.monotonic()
        with pytest.raises(CaptureCancelled):
            s.upload_image(cancel=cancel, progress=watch)
        assert time.monotonic() - started < 5
        assert 0.05 < progress[-1] < 0.5
        assert s.template_count() == 0


def test_prefers_115200_baud_where_the_sensor_accepts_it(link, emulator):
    with ZfmScanner(link.path, emulated=True) as s:
        assert s.baud == 115200
        assert emulator.baud == 115200
        assert s.system_parameters()["baud"] == 115200


def test_sensor_left_at_another_baud_rate_is_found(link, emulator):
    emulator.store.settings.baud_multiplier = 12
    with ZfmScanner(link.path, baud=57600, emulated=True, prefer_baud=None,
                    response_timeout=0.3) as s:
        assert s.template_count() == 0


def test_one_program_at_a_time_holds_the_port(scanner, link):
    with pytest.raises(DeviceBusy) as caught:
        ZfmScanner(link.path)
    assert caught.value.message_id == "device.busy"


def test_wrong_password_is_a_clear_error(link, emulator):
    emulator.set_password(42)
    from drivers.errors import DeviceError

    with pytest.raises(DeviceError) as caught:
        ZfmScanner(link.path, password=7)
    assert caught.value.message_id == "sensor.wrong_password"


def test_enroll_and_search_on_the_sensor_through_the_driver(link, emulator):
    # the sensor's first comparison loads the matcher's compiled kernel (0.2-0.9 s): more than the
    # fault tests' short answer timeout allows on a busy machine
    with ZfmScanner(link.path, emulated=True, response_timeout=5.0) as scanner:
        emulator.place(3, 1)
        slot = scanner.enroll_on_sensor(first_done=lambda: emulator.place(3, 2))
        emulator.place(3, 4)
        assert scanner.search_on_sensor()[0] == slot
        emulator.place(1, 4)
        assert scanner.search_on_sensor()[0] == -1


def test_simulated_applicant_presents_position_n_as_the_nth_finger(synthetic_fingers):
    with open_scanner(f"zfm-sim:{synthetic_fingers}?first=2") as s:
        first = s.capture(FingerPosition.RIGHT_MIDDLE, timeout=2)
        assert s.wait_for_removal(1)
        second = s.capture(FingerPosition.RIGHT_MIDDLE, timeout=2)
        from drivers.zfm.fingers import read_gray

        for image, impression in ((first, 2), (second, 3)):
            path = s.emulator.fingers.image_path(3, impression)
            assert np.array_equal(image.pixels, nibbles_to_gray(zfm_nibbles(read_gray(path), 500)))
        assert s.info.emulated
