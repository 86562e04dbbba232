"""The command line a technician uses on devices: clear messages, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from pyfingerprint.pyfingerprint import PyFingerprint

BIOSTATION = [sys.executable, "-m", "station.cli"]


def run(*args: str, lang: str = "en", stdin: str | None = None, timeout: float = 60):
    return subprocess.run([*BIOSTATION, "--lang", lang, *args], capture_output=True, text=True,
                          input=stdin, timeout=timeout, env={**os.environ})


def assert_clear_failure(result, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    text = result.stderr + result.stdout
    for word in words:
        assert word in text, text


def test_unknown_url_names_it_and_lists_the_known_kinds():
    result = run("devices", "check", "--scanner", "usb:finger")
    assert_clear_failure(result, "usb:finger", "zfm:", "zfm-sim:")
    assert json.loads(result.stdout)["scanner"]["ok"] is False


def test_missing_serial_port():
    result = run("capture", "finger", "--scanner", "zfm:/dev/ttyUSB77")
    assert_clear_failure(result, "zfm:/dev/ttyUSB77", "plugged in")


def test_missing_port_in_indonesian():
    result = run("capture", "finger", "--scanner", "zfm:/dev/ttyUSB77", lang="id")
    assert_clear_failure(result, "Tidak ada perangkat")


def test_unreadable_image_folder(tmp_path):
    result = run("emulate", "zfm", "--fingers", str(tmp_path / "nope"), "--link", str(tmp_path / "l"))
    assert_clear_failure(result, "does not exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no images here")
    result = run("emulate", "zfm", "--fingers", str(empty), "--link", str(tmp_path / "l"))
    assert_clear_failure(result, "no images")


def test_images_that_are_not_fingerprints(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(folder / "1_1.png"), np.full((300, 300), 255, np.uint8))
    cv2.imwrite(str(folder / "2_1.png"), (rng.random((300, 300)) * 255).astype(np.uint8))
    (folder / "3_1.png").write_bytes(b"not really a png")
    result = run("capture", "finger", "--scanner", f"zfm-sim:{folder}", "--finger", "right-thumb",
                 "--timeout", "3")
    assert_clear_failure(result, "No finger can be seen")
    assert json.loads(result.stdout)["fingerprint"] is False
    result = run("capture", "finger", "--scanner", f"zfm-sim:{folder}", "--finger", "right-index",
                 "--timeout", "3")
    assert_clear_failure(result, "does not look like a fingerprint")
    result = run("capture", "finger", "--scanner", f"zfm-sim:{folder}", "--finger", "right-middle",
                 "--timeout", "3")
    assert_clear_failure(result, "3_1.png", "cannot be read")


def test_capture_a_finger_from_the_simulator(synthetic_fingers, tmp_path):
    out = tmp_path / "finger.png"
    result = run("capture", "finger", "--scanner", f"zfm-sim:{synthetic_fingers}",
                 "--finger", "right-index", "--out", str(out))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["fingerprint"] is True and summary["emulated"] is True
    assert cv2.imread(str(out), cv2.IMREAD_GRAYSCALE).shape == (288, 256)


def test_emulate_zfm_serves_pyfingerprint_on_its_link(synthetic_fingers, tmp_path):
    link = tmp_path / "ttyZFM"
    proc = subprocess.Popen([*BIOSTATION, "--lang", "en", "emulate", "zfm", "--fingers",
                             str(synthetic_fingers), "--link", str(link), "--present", "auto",
                             "--library", str(tmp_path / "lib.json")],
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert link.is_symlink()
        fp = PyFingerprint(str(link), 57600, 0xFFFFFFFF, 0)
        assert fp.verifyPassword()
        assert fp.readImage() and fp.readImage()  # auto: a finger on every capture
        assert fp.getTemplateCount() == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert not link.exists() and not link.is_symlink()  # the link is removed on exit


def test_emulate_zfm_driven_by_stdin_lines(synthetic_fingers, tmp_path):
    link = tmp_path / "ttyZFM"
    proc = subprocess.Popen([*BIOSTATION, "--lang", "en", "emulate", "zfm", "--fingers",
                             str(synthetic_fingers), "--link", str(link)],
                            stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not link.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        fp = PyFingerprint(str(link), 57600, 0xFFFFFFFF, 0)
        assert fp.readImage() is False
        proc.stdin.write("place 2 1\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 5
        while not fp.readImage():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.stdin.write("lift\nquit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill() if proc.poll() is None else None


def test_emulate_requires_a_finger_source(tmp_path):
    result = run("emulate", "zfm", "--link", str(tmp_path / "l"))
    assert_clear_failure(result, "--fingers", "--synthetic")


def test_synth_fingers_writes_images_and_ground_truth(tmp_path):
    result = run("synth", "fingers", "--out", str(tmp_path / "s"), "--fingers", "2",
                 "--impressions", "2", "--seed", "5")
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["001_1.json", "001_1.png", "001_2.json", "001_2.png",
                     "002_1.json", "002_1.png", "002_2.json", "002_2.png"]
    truth = json.loads((tmp_path / "s" / "001_1.json").read_text())
    assert len(truth["minutiae"]) > 10


@pytest.mark.parametrize("url", ["file:/definitely/not/here", "opencv:/dev/video99"])
def test_missing_camera(url):
    result = run("devices", "check", "--camera", url)
    assert_clear_failure(result, url)


def test_bad_settings_file_is_reported(station_home: Path):
    station_home.mkdir(parents=True)
    (station_home / "station.toml").write_text("language = [broken")
    result = run("devices", "check")
    assert_clear_failure(result, "station.toml")


# the whole bench runs here (synthetic fingers, a 10,000-template gallery, the central
# record's intake): 2–3 minutes on a busy 2-core machine; the bound is against a hang
@pytest.mark.timeout(400)
def test_bench_prints_only_json_on_stdout():
    result = run("bench", "--no-upload", timeout=360)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["machine"]["cores"] >= 1
    assert figures["fingerprint"]["extract_ms_median"] > 0
