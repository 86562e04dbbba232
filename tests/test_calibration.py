"""Calibration recovers what synthetic targets were rendered with, and a profile fixes what it should.

Checkerboards are rendered through a known camera with known lens distortion, ColorCheckers
through a known colour transform, slanted edges through a known blur; the procedures must
find them again within the limits the calibration issue sets.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from calibration.colour import ciede2000, fit_colour, linear_to_srgb, reference_srgb, srgb_to_linear
from calibration.errors import CalibrationError
from calibration.geometry import calibrate_folder, central_grid, undistortion_displacement
from calibration.profile import CameraProfile, load_profile, save_profile
from calibration.sharpness import gaussian_mtf50, slanted_edge_image, slanted_edge_mtf
from calibration.synthetic import TrueCamera, distort_image, random_poses, render_board, webcam
from domain.catalog import render
from drivers.scanner import DeviceInfo
from enrollment.face_capture import FaceCapture
from enrollment.policy import Policy
from matching.face.icao import check_photo

from .conftest import run_cli
from .faces import astronaut, face_of, studio
from .fingers import faint_first_impression

GEOMETRY = ("eye_distance", "yaw", "roll", "centred")


def _views(folder, camera: TrueCamera, count: int, seed: int, board=(9, 6)):
    folder.mkdir(parents=True, exist_ok=True)
    rays = camera.rays(2)
    for i, (r, t) in enumerate(random_poses(camera, *board, 25.0, count, seed=seed)):
        cv2.imwrite(str(folder / f"view{i:02d}.png"), render_board(camera, rays, r, t, *board, 25.0, seed=i))
    return folder


@pytest.fixture(scope="module")
def webcam_views(tmp_path_factory):
    return _views(tmp_path_factory.mktemp("views"), webcam(), 14, seed=3)


def test_geometry_recovers_the_camera(webcam_views, tmp_path):
    truth = webcam()
    out = tmp_path / "camera.json"
    done = run_cli("calibrate", "camera", "--images", str(webcam_views), "--board", "9x6", "--square-mm", "25",
                   "--json", str(out))
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    k, d = np.array(result["camera_matrix"]), np.array(result["dist_coeffs"])
    assert abs(k[0, 0] / truth.matrix[0, 0] - 1) < 0.005 and abs(k[1, 1] / truth.matrix[1, 1] - 1) < 0.005
    assert np.linalg.norm(k[:2, 2] - truth.matrix[:2, 2]) < 5
    grid = central_grid(truth.size, 0.75)
    error = np.linalg.norm(undistortion_displacement(k, d, grid) - undistortion_displacement(truth.matrix, truth.dist,
                                                                                              grid), axis=1)
    assert error.max() < 1.5
    # the lens really distorts: without the model the error would be many pixels
    assert np.linalg.norm(undistortion_displacement(truth.matrix, truth.dist, grid), axis=1).max() > 20
    assert result["rms_px"] < 0.5 and len([v for v in result["views"] if v["used"]]) == 14
    assert set(result["model_heldout_rms_px"]) >= {"radial2", "radial3+tangential", "rational"}
    html = out.with_suffix(".html").read_text()
    assert "data:image/png;base64" in html and result["profile_id"] in html


def test_colour_correction_recovers_a_known_transform():
    reference = reference_srgb()
    camera = np.array([[0.85, 0.10, 0.05], [0.08, 0.80, 0.12], [0.02, 0.15, 0.70]]) * np.array([1.15, 1.0, 0.8])
    seen = linear_to_srgb(srgb_to_linear(reference) @ camera.T)
    img = np.full((720, 960, 3), 90, np.uint8)
    cv2.rectangle(img, (125, 115), (865, 595), (20, 20, 20), -1)
    for i, colour in enumerate(seen):
        r, c = divmod(i, 6)
        x, y = 150 + c * 120, 140 + r * 120
        cv2.rectangle(img, (x, y), (x + 100, y + 100), tuple(int(v) for v in (colour[::-1] * 255 + 0.5)), -1)
    img = cv2.GaussianBlur(img, (0, 0), 1.0)
    result = fit_colour(img)
    assert result.delta_e_before.mean() > 5
    assert result.delta_e_after.mean() < 2
    with pytest.raises(CalibrationError, match="no_colour_chart"):
        fit_colour(np.full((480, 640, 3), 128, np.uint8))


# Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula: implementation notes, supplementary
# test data, and mathematical observations", Table 1: pairs 1, 4, 7, 8 (achromatic), 9 and 12 (hue
# difference ≈ 180°, where the mean hue flips), 17–20 (large differences) and 25–34 (measured colours), to its
# four decimals.
SHARMA_2005 = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, -1.0, 2.0), (50.0, 0.0, 0.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0012), 7.2195),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (61.0, -5.0, 29.0), 22.8977),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((50.0, 2.5, 0.0), (58.0, 24.0, 15.0), 19.4535),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((63.0109, -31.0961, -5.8663), (62.8187, -29.7946, -4.0864), 1.2630),
    ((61.2901, 3.7196, -5.3901), (61.4292, 2.248, -4.962), 1.8731),
    ((35.0831, -44.1164, 3.7933), (35.0232, -40.0716, 1.5901), 1.8645),
    ((22.7233, 20.0904, -46.694), (23.0331, 14.973, -42.5619), 2.0373),
    ((36.4612, 47.858, 18.3852), (36.2715, 50.5065, 21.2231), 1.4146),
    ((90.8027, -2.0831, 1.441), (91.1528, -1.6435, 0.0447), 1.4441),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
]


def test_ciede2000_matches_sharmas_published_pairs():
    lab1, lab2, expected = (np.array(column, float) for column in zip(*SHARMA_2005, strict=True))
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=5e-5)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=5e-5)  # symmetric
    assert ciede2000(lab1.reshape(2, 10, 3), lab2.reshape(2, 10, 3)).shape == (2, 10)
    assert float(ciede2000(lab1[0], lab1[0])) == 0.0


def test_our_srgb_transfer_functions_are_the_standard_ones():
    """Kept by hand for the per-frame float32 path; they must stay equal to colour-science's IEC 61966-2-1."""
    import colour

    v = np.linspace(0, 1, 1001)
    assert np.abs(srgb_to_linear(v) - colour.models.eotf_sRGB(v)).max() < 1e-12
    assert np.abs(linear_to_srgb(v) - colour.models.eotf_inverse_sRGB(v)).max() < 1e-12


@pytest.mark.parametrize("sigma", [0.7, 1.2, 2.0])
def test_slanted_edge_mtf50_matches_the_blur(sigma):
    measured = slanted_edge_mtf(slanted_edge_image(5.0, sigma)).mtf50
    assert abs(measured / gaussian_mtf50(sigma) - 1) < 0.05
    with pytest.raises(CalibrationError):
        slanted_edge_mtf(np.full((64, 64), 100.0))


def test_bad_input_says_what_to_capture_next(webcam_views, tmp_path):
    few = tmp_path / "few"
    few.mkdir()
    for p in sorted(webcam_views.iterdir())[:3]:
        (few / p.name).write_bytes(p.read_bytes())
    with pytest.raises(CalibrationError) as err:
        calibrate_folder(few, (9, 6), 25)
    assert err.value.message_id == "calibration.too_few_views" and err.value.params["more"] == 5
    small_board = _views(tmp_path / "small", webcam(), 4, seed=8, board=(7, 5))
    with pytest.raises(CalibrationError, match="wrong_board") as err:
        calibrate_folder(small_board, (9, 6), 25)
    assert err.value.params["seen"] == "7x5"
    blank = tmp_path / "blank"
    blank.mkdir()
    for i in range(3):
        cv2.imwrite(str(blank / f"{i}.png"), np.full((480, 640), 128, np.uint8))
    with pytest.raises(CalibrationError, match="board_not_found"):
        calibrate_folder(blank, (9, 6), 25)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "a.png"), np.zeros((480, 640), np.uint8))
    cv2.imwrite(str(mixed / "b.png"), np.zeros((720, 1280), np.uint8))
    with pytest.raises(CalibrationError, match="mixed_sizes"):
        calibrate_folder(mixed, (9, 6), 25)
    answer = run_cli("calibrate", "camera", "--images", str(few), "--board", "9x6")
    assert answer.returncode == 2 and "Capture 5 more" in answer.stderr and "Traceback" not in answer.stderr


def test_face_geometry_passes_only_after_the_profile(tmp_path, station_home):
    """A camera whose lens sits off-centre: the ICAO geometry checks fail until its profile is applied."""
    camera = TrueCamera(np.array([[700.0, 0, 130], [0, 700.0, 120], [0, 0, 1]]), np.array([-0.5, 0.2, 0, 0, 0.0]),
                        (640, 800))
    views = _views(tmp_path / "views", camera, 12, seed=5)
    geometry = calibrate_folder(views, (9, 6), 25)
    profile = CameraProfile("file-frame.png", geometry.camera_matrix, geometry.dist_coeffs, geometry.image_size)
    save_profile(station_home, profile)
    loaded = load_profile(station_home, "file-frame.png")
    assert loaded.id == profile.id

    seen = cv2.cvtColor(distort_image(studio(astronaut()), camera), cv2.COLOR_RGB2BGR)

    def geometry_checks(rgb):
        box, lm = face_of(rgb)
        return {c.name: c.passed for c in check_photo(rgb, [box], lm) if c.name in GEOMETRY}

    assert not all(geometry_checks(cv2.cvtColor(seen, cv2.COLOR_BGR2RGB)).values())
    # through the enrollment's capture path, with and without the profile
    device = DeviceInfo("camera", "file", "file:x", "file-frame.png", True)
    without = FaceCapture(device, 20.0).observe_frame(seen, 0.0)
    with_profile = FaceCapture(device, 20.0, profile=loaded).observe_frame(seen, 0.0)
    assert not all(c.passed for c in without.checks if c.name in GEOMETRY)
    assert all(c.passed for c in with_profile.checks if c.name in GEOMETRY)


def test_sensor_procedures_on_the_emulator(synthetic_fingers, tmp_path):
    from calibration.sensor import NFIQ2_CHECK, blank_frame_checks, check_message, run_sensor_calibration
    from drivers import open_scanner

    minimum = Policy().finger_min_nfiq2
    with open_scanner(f"zfm-sim:{synthetic_fingers}") as scanner:
        result = run_sensor_calibration(scanner, security_level=4, min_nfiq2=minimum)
        assert result["emulated"] and result["security_level"] == 4
        assert result["baud"] == 115200 and all(v is not None for v in result["upload_seconds"].values())
        assert result["passed"], result["checks"]
        names = {c["name"] for c in result["checks"]}
        assert {"blank noise", "blank uniformity", "dynamic range on a finger", NFIQ2_CHECK,
                "template library"} <= names
    # the test capture's NFIQ 2 against the policy's threshold, in the checks and on its own in the JSON
    nfiq = {c["name"]: c for c in result["checks"]}[NFIQ2_CHECK]
    assert nfiq["passed"] and nfiq["value"] >= minimum and nfiq["limit"] == f"≥ {minimum}"
    assert result["nfiq2"]["score"] == nfiq["value"] and result["nfiq2"]["minimum"] == minimum
    assert result["nfiq2"]["passed"] and result["nfiq2"]["instruction"] is None
    assert result["nfiq2"]["message"]["en"] == check_message(nfiq, "en") and "passed" in check_message(nfiq, "en")
    assert "lulus" in result["nfiq2"]["message"]["id"]
    # a smudged window: one dark blotch makes the blank frame uneven
    smudged = np.full((288, 256), 230, np.uint8)
    smudged[100:160, 80:140] = 120
    assert not {c.name: c.passed for c in blank_frame_checks(smudged)}["blank uniformity"]


def test_sensor_check_fails_a_dry_test_print_at_the_policys_nfiq2(synthetic_fingers, tmp_path, station_home):
    """``biostation calibrate sensor`` as a technician runs it: the threshold is the one in the
    station's policy, and a failing test capture says why, in English and Bahasa Indonesia."""
    station_home.mkdir(parents=True, exist_ok=True)
    (station_home / "station.toml").write_text('[station]\nlanguage = "en"\n\n[policy]\nfinger_min_nfiq2 = 25\n')
    dry = faint_first_impression(synthetic_fingers, tmp_path / "dry")
    out = tmp_path / "sensor.json"
    done = run_cli("calibrate", "sensor", "--scanner", f"zfm-sim:{dry}", "--json", str(out))
    assert done.returncode == 1, done.stderr  # the sensor check failed
    result = json.loads(out.read_text())
    nfiq = {c["name"]: c for c in result["checks"]}["NFIQ 2 of the test capture"]
    assert not nfiq["passed"] and nfiq["limit"] == "≥ 25" and nfiq["value"] < 25
    assert result["nfiq2"]["minimum"] == 25 and not result["nfiq2"]["passed"]
    assert "too_light" in result["nfiq2"]["feedback"]
    assert result["nfiq2"]["instruction"] == "finger.poor_quality_too_light"
    english = render("calibration.sensor_nfiq2_failed", "en", quality=nfiq["value"], minimum=25,
                     instruction=render("finger.poor_quality_too_light", "en", finger="test",
                                        quality=nfiq["value"], minimum=25))
    assert result["nfiq2"]["message"]["en"] == english and "too light" in english
    assert english in done.stderr  # printed under the check's FAIL line
    assert "FAIL  NFIQ 2 of the test capture" in done.stderr
    assert "terlalu terang" in result["nfiq2"]["message"]["id"] and "gagal" in result["nfiq2"]["message"]["id"]
