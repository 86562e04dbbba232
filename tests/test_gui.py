"""The windows, driven like a person would (pytest-qt, offscreen), on real devices and a real central record.

Only the clicks are simulated: the camera is a file camera playing a real portrait, the
sensor is the emulator behind the unmodified pyfingerprint client, matching runs in
worker processes and the central record is a server process on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from calibration.profile import load_profile
from calibration.synthetic import random_poses, render_board, webcam
from central import store
from central.db import connect
from domain.catalog import render
from domain.fingers import FingerPosition
from drivers import open_camera, open_scanner
from enrollment.policy import Policy
from enrollment.synthetic import sample_record
from gui.calibration_tool import CalibrationTool
from gui.console import Console
from gui.i18n import Language
from gui.kiosk import Kiosk
from gui.stall_bench import longest_gap
from matching.face.embedding import encode
from matching.face.liveness import LivenessChallenge
from matching.face.scripted import follow
from matching.fingerprint.extractor import extract
from matching.fingerprint.search import FingerprintGallery
from matching.workers import MatchingWorkers
from station.settings import load_settings
from station.station import Station

from .faces import astronaut, camera_folder, face_of, studio
from .fingers import faint_first_impression

WAIT = 60_000


@pytest.fixture(scope="module")
def workers():
    with MatchingWorkers(1, warm=True) as pool:
        yield pool


@pytest.fixture(scope="module")
def portrait():
    return studio(astronaut())


@pytest.fixture
def office(central, tmp_path, portrait):
    """A registered station with an officer, a supervisor, a technician and one application."""
    engine = connect(central.db)
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    station = Station(load_settings())
    station.register(central.url, store.issue_token(engine, "counter 1"))
    station.officers.add("siti", "officer", "officer-pass")
    station.officers.add("budi", "supervisor", "supervisor-pass")
    station.officers.add("tono", "technician", "technician-pass")
    camera = open_camera("file:" + str(camera_folder(tmp_path / "camera", portrait)))
    yield station, engine, number, camera
    camera.close()
    station.close()
    engine.dispose()


def test_console_login_enroll_submit(qtbot, office, synthetic_fingers, workers):
    station, engine, number, camera = office
    lang = Language("en")
    policy = Policy(fingers=(FingerPosition.RIGHT_THUMB, FingerPosition.RIGHT_INDEX), face_timeout_s=2.0)
    with open_scanner(f"zfm-sim:{synthetic_fingers}") as scanner:
        console = Console(station, lang, camera, scanner, workers, policy)
        qtbot.addWidget(console)
        console.show()
        login = console.pages["login"]
        login.user.setText("siti")
        login.password.setText("wrong-password")
        login.button.click()
        qtbot.waitUntil(lambda: "Wrong name or password" in login.message.text(), timeout=WAIT)
        login.password.setText("officer-pass")
        login.button.click()
        qtbot.waitUntil(lambda: console.page == "queue", timeout=WAIT)
        queue = console.pages["queue"]
        qtbot.waitUntil(lambda: queue.table.rowCount() == 1, timeout=WAIT)  # today's appointment
        queue.search.setText(number)
        queue.open_button.click()
        qtbot.waitUntil(lambda: console.page == "consent", timeout=WAIT)
        consent = console.pages["consent"]
        consent.next_button.click()
        qtbot.waitUntil(lambda: "consent" in consent.message.text().lower(), timeout=WAIT)  # no consent, no capture
        assert console.page == "consent"
        consent.consent.setChecked(True)
        consent.next_button.click()
        qtbot.waitUntil(lambda: console.page == "face", timeout=WAIT)
        face = console.pages["face"]
        qtbot.waitUntil(lambda: face.checks.count() > 5, timeout=WAIT)  # live checks shown
        qtbot.waitUntil(lambda: face.keep_button.isVisible(), timeout=WAIT)  # the portrait smiles: time runs out
        face.keep_button.click()
        qtbot.waitUntil(lambda: face.next_button.isVisible(), timeout=WAIT)
        face.next_button.click()
        fingers = console.pages["fingers"]
        qtbot.waitUntil(lambda: fingers.next_button.isVisible(), timeout=WAIT)
        assert [r.position for r in console.flow.fingers.results] == [FingerPosition.RIGHT_THUMB,
                                                                      FingerPosition.RIGHT_INDEX]
        fingers.next_button.click()
        qtbot.waitUntil(lambda: console.page == "review", timeout=WAIT)
        review = console.pages["review"]
        assert not review.submit_button.isEnabled()  # the photo exception needs a supervisor
        assert "photo kept without passing every check" in review.exceptions.text()
        review.supervisor.setText("budi")
        review.supervisor_password.setText("supervisor-pass")
        review.approve_button.click()
        qtbot.waitUntil(lambda: review.submit_button.isEnabled(), timeout=WAIT)
        assert "Approved by budi" in review.approval_state.text()  # who approved, on the review
        review.submit_button.click()
        qtbot.waitUntil(lambda: console.page == "done", timeout=WAIT)
        qtbot.waitUntil(lambda: console.last_packet is not None, timeout=WAIT)
        qtbot.waitUntil(lambda: store.record_count(engine) == 1, timeout=WAIT)
        records = store.list_records(engine)
        assert records[0]["application"] == number and records[0]["packet_id"] == console.last_packet
        # the supervisor's audit view shows the enrollment, and the chain holds
        console.officer = station.officers.authenticate("budi", "supervisor-pass")
        console.show_page("audit")
        audit = console.pages["audit"]
        audit.application.setText(number)
        qtbot.waitUntil(lambda: audit.table.rowCount() >= 5 and "intact" in audit.chain.text(), timeout=WAIT)
        console.close()


def test_kiosk_verifies_a_live_person_and_refuses_a_photo(qtbot, office, synthetic_fingers, workers, portrait,
                                                         tmp_path):
    station, engine, number, camera = office
    record = sample_record(station.applications().lookup(number), station.registration.station_id,
                           synthetic_fingers)
    box, lm = face_of(portrait)
    record.face = type(record.face)(**{**record.face.__dict__, "embedding": encode(portrait, box).descriptor})
    station.submit(record)
    assert station.flush().delivered == 1

    def scripted(seed: int, live: bool):
        """Landmarks as the kiosk's camera would see them: a person following the challenge, or a photo."""
        steps = LivenessChallenge(seed).steps
        frames = iter(follow(lm, steps, seed=seed) if live else [(0.0, lm)] * 400)

        def landmarks_of(_rgb):
            try:
                return box, next(frames)[1]
            except StopIteration:
                return box, lm

        return landmarks_of

    lang = Language("id")
    # the applicant's first placement at the kiosk is a dry finger's (impression 5 wraps to 1, made faint)
    dry = faint_first_impression(synthetic_fingers, tmp_path / "dry")
    with open_scanner(f"zfm-sim:{dry}?first=5") as scanner:
        kiosk = Kiosk(station, lang, camera, scanner, workers, liveness_seed=3, landmarks_of=scripted(3, True))
        qtbot.addWidget(kiosk)
        kiosk.showFullScreen()
        home = kiosk.screens["home"]
        assert home.title.text() == "Selamat datang"  # Bahasa Indonesia first
        home.language.click()
        assert home.title.text() == "Welcome"  # English one tap away
        home.number.setText("P000000000000")
        home.go.click()
        qtbot.waitUntil(lambda: "could not find" in home.message.text(), timeout=WAIT)  # nothing about anyone
        home.number.setText(number)
        home.go.click()
        qtbot.waitUntil(lambda: kiosk.screen == "result", timeout=WAIT)
        assert kiosk.result.decision == "match", kiosk.result
        assert kiosk.screens["result"].verdict.text() == "Identity confirmed."
        # NFIQ 2 refused the dry print before any comparison and asked, in enrollment's words, for another
        refused, kept = kiosk.verification.finger_ratings
        minimum = Policy().finger_min_nfiq2
        assert not refused.compare and refused.quality < minimum and "too_light" in refused.feedback
        assert refused.message_id == "finger.poor_quality_too_light"
        assert kiosk.screens["verify"].instruction.text() == render(
            "finger.poor_quality_too_light", "en", finger="right-thumb", quality=refused.quality, minimum=minimum)
        assert "too light" in kiosk.screens["verify"].instruction.text()
        assert kept.compare and kept.quality >= minimum and kiosk.result.finger_nfiq2 == kept.quality
        kiosk.screens["result"].feedback.click()
        kiosk.screens["feedback"].stars[4].click()
        qtbot.waitUntil(lambda: kiosk.screen == "home", timeout=WAIT)
        # a photo held up: the landmarks never move, the challenge fails, the person is sent to an officer
        kiosk.landmarks_of = scripted(3, False)
        home.number.setText(number)
        home.go.click()
        qtbot.waitUntil(lambda: kiosk.screen == "result", timeout=WAIT)
        assert kiosk.result.decision == "liveness_failed"
        assert "officer" in kiosk.screens["result"].detail.text()
        kiosk.close()


def test_calibration_tool_saves_the_profile(qtbot, tmp_path, station_home, synthetic_fingers):
    camera = webcam(640, 480)
    camera = type(camera)(camera.matrix * np.array([[0.5], [0.5], [1]]), camera.dist, (640, 480))
    rays = camera.rays(2)
    views = tmp_path / "views"
    views.mkdir()
    for i, (r, t) in enumerate(random_poses(camera, 9, 6, 25.0, 10, seed=2)):
        cv2.imwrite(str(views / f"v{i:02d}.png"), render_board(camera, rays, r, t, 9, 6, 25.0, seed=i))
    station = Station(load_settings())
    station.officers.add("tono", "technician", "technician-pass")
    station.officers.add("siti", "officer", "officer-pass")
    tool = CalibrationTool(station, Language("en"), "opencv-0", None)
    qtbot.addWidget(tool)
    tool.show()
    tool.user.setText("siti")
    tool.password.setText("officer-pass")
    tool.login_button.click()
    qtbot.waitUntil(lambda: "may not" in tool.login_message.text(), timeout=WAIT)  # officers do not calibrate
    tool.user.setText("tono")
    tool.password.setText("technician-pass")
    tool.login_button.click()
    qtbot.waitUntil(lambda: tool.stack.currentWidget() is tool.work_page, timeout=WAIT)
    tool.images.setText(str(views))
    tool.run_camera.click()
    qtbot.waitUntil(lambda: tool.save.isEnabled(), timeout=WAIT)
    assert tool.checks.count() >= 3 and tool.plots.count() >= 4
    tool.save.click()
    qtbot.waitUntil(lambda: load_profile(station.home, "opencv-0") is not None, timeout=WAIT)
    profile = load_profile(station.home, "opencv-0")
    assert profile is not None and profile.id == tool.result.profile.id
    # the profile's file is written before its audit entry, on the job's thread: wait for both
    qtbot.waitUntil(lambda: any(e.action == "calibration.profile_saved" for e in station.audit.entries(actor="tono")),
                    timeout=WAIT)
    # the window leaves the same report and audit entry as ``biostation calibrate camera``
    assert tool.report is not None and tool.report.exists()
    assert any(e.action == "calibration.camera" for e in station.audit.entries(actor="tono"))
    tool.close()
    # the sensor check with a dry test print: NFIQ 2 below the policy's threshold, labelled and explained
    with open_scanner(f"zfm-sim:{faint_first_impression(synthetic_fingers, tmp_path / 'dry')}") as scanner:
        tool = CalibrationTool(station, Language("en"), None, scanner)
        qtbot.addWidget(tool)
        tool.technician = station.officers.authenticate("tono", "technician-pass")
        tool.run_sensor.click()
        qtbot.waitUntil(lambda: tool.sensor_result is not None, timeout=WAIT)
        minimum = Policy().finger_min_nfiq2
        shown = [tool.checks.item(i) for i in range(tool.checks.count())]
        nfiq = next(item for item in shown if "NFIQ 2" in item.text())
        assert nfiq.text().startswith("✘  NFIQ 2 of the test capture: ") and f"(≥ {minimum})" in nfiq.text()
        assert "too light" in nfiq.toolTip() and "failed" in tool.message.text()
        assert tool.sensor_result["nfiq2"]["instruction"] == "finger.poor_quality_too_light"
        tool.language.click()  # Bahasa Indonesia: the same result, said again
        assert "terlalu terang" in tool.message.text() and "gagal" in tool.message.text()
        entry = next(e for e in station.audit.entries(actor="tono") if e.action == "calibration.sensor")
        assert not entry.detail["passed"] and entry.detail["min_nfiq2"] == minimum
        tool.close()
    station.close()


def gallery_probe(path):
    return extract(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))


def test_the_gui_thread_never_blocks(qapp, synthetic_fingers, workers):
    """A paced 57,600-baud upload and a 1:N search must leave the event loop running (bound: 500 ms)."""
    from gui.jobs import run_job, when_ready

    with open_scanner(f"zfm-sim:{synthetic_fingers}?baud=57600") as scanner:
        done = []
        run_job(scanner.capture, FingerPosition.RIGHT_THUMB, 20.0, on_done=done.append, on_error=done.append,
                on_progress=lambda f: None)
        stall = longest_gap(qapp, lambda: bool(done))
        assert not isinstance(done[0], Exception) and done[0].pixels.shape == (288, 256)
        assert stall < 0.5, stall
    gallery = FingerprintGallery()
    images = sorted(synthetic_fingers.glob("*.png"))
    for path in images:
        gallery.add(path.stem, extract(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)))
    while len(gallery) < 3000:
        gallery.add_prepared(f"copy-{len(gallery)}", gallery.cylinders(len(gallery) % len(images)))
    assert workers.set_gallery(gallery).result(timeout=120) == len(gallery)
    found = []
    when_ready(workers.search_fingers(gallery_probe(images[0])), found.append, found.append)
    stall = longest_gap(qapp, lambda: bool(found))
    assert isinstance(found[0], list) and stall < 0.5, stall


def test_windows_and_command_line_say_the_same(qapp):
    lang = Language("id")
    assert lang.tr("ui.login") == render("ui.login", "id") == "Masuk"
    assert lang.tr("sensor.place_finger", finger="right-thumb") == "Letakkan ibu jari kanan pada sensor."
    lang.set("en")
    assert lang.tr("finger.accepted", finger=FingerPosition.LEFT_INDEX, quality=80) == (
        render("finger.accepted", "en", finger="left-index", quality=80))
    assert "left index finger" in lang.tr("finger.accepted", finger=FingerPosition.LEFT_INDEX, quality=80)


def test_no_display_is_said_plainly(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(BIOSTATION_HOME=str(tmp_path / "home"), BIOSTATION_LANGUAGE="en")
    done = subprocess.run([sys.executable, "-m", "station.cli", "run"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "No display" in done.stderr and "Traceback" not in done.stderr


def test_screenshots_of_every_main_screen(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", BIOSTATION_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "station.cli", "--lang", "en", "screenshots", "--out",
                           str(tmp_path / "shots")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    names = set(json.loads(done.stdout)["screens"])
    screens = ("first_run", "login", "queue", "face", "fingers", "review", "approvals", "kiosk", "calibration")
    assert {f"{screen}@{width}.png" for screen in screens for width in (1366, 1920)} <= names
    for name in names:
        image = cv2.imread(str(tmp_path / "shots" / name))
        assert image is not None and image.std() > 5  # not a blank window
        assert image.shape[1] == int(name.split("@")[1].split(".")[0])  # rendered at the size it is named for


def test_console_locks_when_idle_and_kiosk_returns_home(qtbot, office, tmp_path, workers):
    station, engine, number, camera = office
    console = Console(station, Language("en"), None, None, workers, idle_lock_s=0.5)
    qtbot.addWidget(console)
    console.show()
    assert "Camera: missing" in console.devices_label.text()  # no camera: said, not a crash
    console.logged_in(station.officers.authenticate("siti", "officer-pass"))
    assert console.page == "queue"
    qtbot.waitUntil(lambda: console.page == "login", timeout=WAIT)
    assert console.officer is None
    qtbot.waitUntil(lambda: any(e.action == "console.locked" for e in station.audit.entries()), timeout=WAIT)
    console.close()
    # the kiosk reads the registration's QR code from the camera and forgets the person after inactivity
    qr = cv2.QRCodeEncoder.create().encode(number)
    frame = cv2.copyMakeBorder(cv2.resize(qr, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST), 80, 80, 80, 80,
                               cv2.BORDER_CONSTANT, value=255)
    qr_camera = open_camera("file:" + str(camera_folder(tmp_path / "qr", cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB))))
    # the officer's lookup by QR code at the counter
    counter = Console(station, Language("en"), qr_camera, None, workers)
    qtbot.addWidget(counter)
    counter.show()
    counter.logged_in(station.officers.authenticate("siti", "officer-pass"))
    counter.pages["queue"].qr_button.click()
    qtbot.waitUntil(lambda: counter.pages["queue"].search.text() == number, timeout=WAIT)
    counter.close()
    kiosk = Kiosk(station, Language("en"), qr_camera, None, workers, idle_s=0.5)
    qtbot.addWidget(kiosk)
    kiosk.showFullScreen()
    home = kiosk.screens["home"]
    qtbot.waitUntil(lambda: home.number.text() == number, timeout=WAIT)  # scanned, not typed
    qtbot.waitUntil(lambda: "could not find" in home.message.text(), timeout=WAIT)  # nothing enrolled yet
    kiosk.result = None
    kiosk.show_screen("feedback")
    qtbot.waitUntil(lambda: kiosk.screen == "home", timeout=WAIT)
    kiosk.close()
    qr_camera.close()
