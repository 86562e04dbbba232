"""Hostile inputs (issue 27): an image bomb at every reader, and the evaluation's and calibration's loose ends.

A 31 KB PNG can declare 16000×16000 pixels; decoding it costs 256 MB in gray, 768 MB in colour,
and the calibration's corner search on it took 24 GB. Every reader of an image file must refuse
it from its header, naming the file, its size and the limit, before decoding a pixel. The
readers are run for real in a child process (no patching), each call's memory peak measured.
"""

from __future__ import annotations

import json
import os
import pickle
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from .conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
BOMB = (16000, 16000)


def write_blank_png(path: Path, width: int, height: int) -> Path:
    """A real 1-bit gray PNG of ``width``×``height`` black pixels, written row by row: tiny on disk,
    and without ever holding the image (Pillow would keep a byte per pixel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the row's bits
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    return write_blank_png(tmp_path_factory.mktemp("bomb") / "bomb.png", *BOMB)


# -- finding 4: the image bomb, at every entry point ------------------------------------------------------

# Runs each reader on the bomb in a child process forked after every import, its address space
# capped (a reader that decodes the bomb must fail there, not take the machine). For each: what it
# raised or printed, how long it took and how far the memory peak (its own or its children's) rose.
SCRIPT = r'''
import contextlib, io, json, os, resource, shutil, sys, time
from pathlib import Path

import cv2
import numpy as np

from domain.catalog import render_error
from station import cli

# everything the readers import, imported before measuring: the peak's rise is then the reading
import calibration.camera_procedure, calibration.report, drivers, matching.evaluation.fvc  # noqa
import matching.evaluation.lfw, matching.evaluation.liveness_eval, station.calibration, station.evaluation  # noqa
import station.station  # noqa

with contextlib.suppress(Exception):  # the keyring's first use probes for backends with gcc and ld: not ours to count
    import keyring
    keyring.get_keyring()

bomb, work = Path(sys.argv[1]), Path(sys.argv[2])
small = np.full((48, 64), 200, np.uint8)


def folder(name, files):
    path = work / name
    path.mkdir(parents=True)
    for file_name, source in files.items():
        if source is None:
            cv2.imwrite(str(path / file_name), small)
        else:
            shutil.copy(source, path / file_name)
    return path


def run_cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main(list(args))
    return {"rc": rc, "message": err.getvalue()}


def read_image_path():
    from matching.images import read_image
    read_image(bomb, "camera")


def read_image_bytes():
    from matching.images import read_image
    read_image(bomb.read_bytes(), "face", name="upload.png")


def file_camera():
    from drivers import open_camera
    cam = open_camera(f"file:{folder('camera', {'frame.png': bomb})}")
    try:
        cam.read(timeout=20)
    finally:
        cam.close()


def emulator_finger():
    from drivers.zfm.fingers import read_gray
    read_gray(bomb)


def liveness_photo():
    from matching.evaluation.liveness_eval import photo_landmarks
    photo_landmarks([bomb])


def calibrate_views():
    return run_cli("calibrate", "camera", "--images", str(folder("views", {"view01.png": bomb, "view02.png": None})),
                   "--json", str(work / "views.json"))


def calibrate_target(option):
    views = folder("views-" + option, {"view01.png": None, "view02.png": None})
    return run_cli("calibrate", "camera", "--images", str(views), "--" + option, str(bomb),
                   "--json", str(work / (option + ".json")))


def eval_fingerprints():
    prints = folder("prints", {"1_1.png": None, "1_2.png": bomb})
    return run_cli("eval", "fingerprints", str(prints), "--json", str(work / "prints.json"))


def eval_faces():
    root = work / "lfw"
    folder("lfw/A", {"A_0001.jpg": None, "A_0002.jpg": bomb})
    folder("lfw/B", {"B_0001.jpg": None})
    (root / "pairs.txt").write_text("1\t1\nA\t1\t2\nA\t1\tB\t1\n")
    return run_cli("eval", "faces", str(root), "--pairs", str(root / "pairs.txt"), "--json", str(work / "faces.json"))


ENTRIES = {"read_image path": read_image_path, "read_image bytes": read_image_bytes, "file camera": file_camera,
           "emulator finger": emulator_finger, "liveness photo": liveness_photo,
           "calibrate camera --images": calibrate_views,
           "calibrate camera --edge": lambda: calibrate_target("edge"),
           "calibrate camera --chart": lambda: calibrate_target("chart"),
           "calibrate camera --position": lambda: calibrate_target("position"),
           "eval fingerprints": eval_fingerprints, "eval faces": eval_faces}


def peak_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024


def status_kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def measure(entry, parent_rss_mb):
    cap = (status_kb("VmSize") + 3 * 1024 * 1024) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    started = time.monotonic()
    try:
        outcome = entry() or {"rc": None, "message": ""}
        outcome["raised"] = None
    except BaseException as exc:  # MemoryError, cv2.error, ImportError: all are findings
        outcome = {"rc": None, "raised": type(exc).__name__, "message": render_error(exc, "en"),
                   "message_id": getattr(exc, "message_id", None)}
    outcome["seconds"] = time.monotonic() - started
    # a forked child shares its parent's pages: only its peak above the parent's size is its own
    outcome["rise_mb"] = max(peak_mb(resource.RUSAGE_SELF) - parent_rss_mb, peak_mb(resource.RUSAGE_CHILDREN))
    return outcome


results = {}
for name, entry in ENTRIES.items():  # each in a forked child: its own memory peak, its own state
    read_end, write_end = os.pipe()
    parent_rss_mb = status_kb("VmRSS") / 1024
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            text = json.dumps(measure(entry, parent_rss_mb))
        except BaseException as exc:
            text = json.dumps({"rc": None, "raised": repr(exc), "message": "", "seconds": 0, "rise_mb": 0})
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(text)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        results[name] = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)
print(json.dumps(results))
'''

API_ENTRIES = ("read_image path", "read_image bytes", "file camera", "emulator finger", "liveness photo")
CLI_ENTRIES = ("calibrate camera --images", "calibrate camera --edge", "calibrate camera --chart",
               "calibrate camera --position", "eval fingerprints", "eval faces")
# the file each message must name (the bomb, or the copy of it the entry point was given) and the limit
EXPECTED = {"read_image path": ("bomb.png", "50 MP"), "read_image bytes": ("upload.png", "50 MP"),
            "file camera": ("frame.png", "50 MP"), "emulator finger": ("bomb.png", "16 MP"),
            "liveness photo": ("bomb.png", "50 MP"), "calibrate camera --images": ("view01.png", "50 MP"),
            "calibrate camera --edge": ("bomb.png", "50 MP"), "calibrate camera --chart": ("bomb.png", "50 MP"),
            "calibrate camera --position": ("bomb.png", "50 MP"), "eval fingerprints": ("1_2.png", "16 MP"),
            "eval faces": ("A_0002.jpg", "50 MP")}


@pytest.fixture(scope="module")
def refusals(bomb, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("readers")
    env = dict(os.environ, BIOSTATION_HOME=str(work / "home"), BIOSTATION_LANGUAGE="en")
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(bomb), str(work)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("entry", API_ENTRIES + CLI_ENTRIES)
def test_every_reader_refuses_a_16000_square_png_from_its_header(refusals, entry):
    result = refusals[entry]
    if entry in CLI_ENTRIES:
        assert result["rc"] == 2, result
    else:
        assert (result.get("message_id") or "").endswith(".image_too_large"), result
    message = result["message"]
    name, limit = EXPECTED[entry]
    assert "16000×16000" in message and limit in message and name in message, message
    assert "Traceback" not in message and "unexpected" not in message
    assert result["rise_mb"] < 200, f"{entry}: memory peak rose {result['rise_mb']:.0f} MB"
    assert result["seconds"] < 20, f"{entry}: {result['seconds']:.1f} s"


def test_read_image_gives_opencvs_own_arrays(tmp_path):
    from matching.images import read_image

    rng = np.random.default_rng(5)
    colour = rng.integers(0, 256, (37, 53, 3), np.uint8)
    deep = rng.integers(0, 65536, (21, 30), np.uint16)
    files = {"colour.png": colour, "colour.jpg": colour, "gray.bmp": colour[..., 0], "deep.png": deep,
             "colour.tif": colour, "gray.pgm": colour[..., 1]}
    for name, pixels in files.items():
        path = tmp_path / name
        assert cv2.imwrite(str(path), pixels)
        for flags in (cv2.IMREAD_COLOR, cv2.IMREAD_GRAYSCALE):
            expected = cv2.imread(str(path), flags)
            got = read_image(path, "camera", flags)
            assert got.dtype == expected.dtype and np.array_equal(got, expected), (name, flags)
            from_bytes = read_image(path.read_bytes(), "camera", flags, name=name)
            assert np.array_equal(from_bytes, cv2.imdecode(np.fromfile(str(path), np.uint8), flags))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG broken")
    (tmp_path / "empty.jpg").write_bytes(b"")
    for name in ("broken.png", "empty.jpg", "missing.png"):
        assert read_image(tmp_path / name, "camera") is None  # unreadable stays the callers' own message
    assert read_image(b"", "face") is None


def test_each_kind_has_its_limit_and_the_error_crosses_process_boundaries(tmp_path):
    from matching.images import LIMITS, ImageTooLarge, check_image, image_size

    assert LIMITS == {"camera": 50_000_000, "calibration": 50_000_000, "fingerprint": 4000 * 4000,
                      "face": 50_000_000}
    wide = write_blank_png(tmp_path / "wide.png", 4001, 4000)
    assert image_size(wide) == (4001, 4000)
    check_image(wide, "camera")  # 16 MP is a fine camera frame...
    with pytest.raises(ImageTooLarge) as caught:
        check_image(wide, "fingerprint")  # ...but no fingerprint
    error = caught.value
    assert error.message_id == "fingerprint.image_too_large"
    assert error.params["width"] == 4001 and error.params["height"] == 4000 and error.params["limit"] == 16
    again = pickle.loads(pickle.dumps(error))  # as a worker process hands it back
    assert type(again) is ImageTooLarge and again.message_id == error.message_id and again.params == error.params
    with pytest.raises(ValueError):
        check_image(wide, "poster")


# -- low items ----------------------------------------------------------------------------------------------

@pytest.fixture
def two_prints(tmp_path) -> Path:
    folder = tmp_path / "prints"
    folder.mkdir()
    for name in ("1_1.png", "1_2.png"):
        cv2.imwrite(str(folder / name), np.full((300, 300), 200, np.uint8))
    return folder


@pytest.mark.parametrize("dpi", ["0", "99", "2001", "-500"])
def test_eval_fingerprints_refuses_a_resolution_outside_100_to_2000(two_prints, tmp_path, dpi):
    out = tmp_path / "out.json"
    done = run_cli("eval", "fingerprints", str(two_prints), "--dpi", dpi, "--json", str(out))
    assert done.returncode == 2 and not out.exists()
    assert "100" in done.stderr and "2000" in done.stderr and dpi in done.stderr, done.stderr
    from matching.evaluation.fvc import EvaluationInputError, folder_dpi

    with pytest.raises(EvaluationInputError):
        folder_dpi(two_prints, int(dpi))  # not silently 500 for a caller of the core either


@pytest.mark.parametrize("text", ["five hundred", "", "0", "nan", "500e9", "\xff\xfe"])
def test_a_bad_dpi_txt_is_named_not_a_python_error(two_prints, tmp_path, text):
    from matching.evaluation.fvc import EvaluationInputError, folder_dpi

    dpi_file = two_prints / "dpi.txt"
    dpi_file.write_bytes(text.encode("latin-1"))
    with pytest.raises(EvaluationInputError) as caught:
        folder_dpi(two_prints, None)
    assert caught.value.params["path"] == str(dpi_file)
    if text == "five hundred":
        done = run_cli("eval", "fingerprints", str(two_prints), "--json", str(tmp_path / "out.json"))
        assert done.returncode == 2 and str(dpi_file) in done.stderr and "unexpected" not in done.stderr, done.stderr


def test_a_good_dpi_txt_and_dpi_still_work(two_prints):
    from matching.evaluation.fvc import folder_dpi

    assert folder_dpi(two_prints, None) == 500
    (two_prints / "dpi.txt").write_text("569.0 dpi\n")
    assert folder_dpi(two_prints, None) == 569 and folder_dpi(two_prints, 1000) == 1000


def test_eval_faces_with_every_pair_failed_exits_non_zero(tmp_path):
    root = tmp_path / "lfw"
    for person, numbers in (("A", (1, 2)), ("B", (1,))):
        (root / person).mkdir(parents=True)
        for n in numbers:
            (root / person / f"{person}_{n:04d}.jpg").write_bytes(b"not a photo")
    (root / "pairs.txt").write_text("1\t1\nA\t1\t2\nA\t1\tB\t1\n")
    done = run_cli("eval", "faces", str(root), "--pairs", str(root / "pairs.txt"), "--json",
                   str(tmp_path / "faces.json"))
    assert done.returncode != 0 and done.stdout == ""
    assert "2 pairs" in done.stderr and str(root) in done.stderr and "unexpected" not in done.stderr, done.stderr


@pytest.fixture(scope="module")
def ten_views(tmp_path_factory) -> Path:
    from calibration.synthetic import random_poses, render_board, webcam

    folder = tmp_path_factory.mktemp("views")
    camera = webcam(640, 480)
    rays = camera.rays(2)
    for i, (r, t) in enumerate(random_poses(camera, 9, 6, 25.0, 10, seed=4)):
        cv2.imwrite(str(folder / f"view{i:02d}.png"), render_board(camera, rays, r, t, 9, 6, 25.0, seed=i))
    return folder


def test_calibrate_camera_names_the_images_it_could_not_read(ten_views, tmp_path):
    views = tmp_path / "views"
    views.mkdir()
    for p in ten_views.iterdir():
        (views / p.name).write_bytes(p.read_bytes())
    (views / "view90.png").write_bytes(b"\x89PNG cut short")
    (views / "view91.jpg").write_bytes(b"")
    out = tmp_path / "camera.json"
    done = run_cli("calibrate", "camera", "--images", str(views), "--board", "9x6", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["unreadable"] == ["view90.png", "view91.jpg"]
    assert json.loads(done.stdout)["unreadable"] == ["view90.png", "view91.jpg"]
    assert "view90.png" in done.stderr and "view91.jpg" in done.stderr, done.stderr


def test_calibrate_camera_on_a_folder_of_unreadable_images_is_an_error(tmp_path):
    from calibration.errors import CalibrationError
    from calibration.geometry import calibrate_folder

    views = tmp_path / "views"
    views.mkdir()
    for name in ("a.png", "b.jpg", "c.png"):
        (views / name).write_bytes(b"\x00 not an image")
    with pytest.raises(CalibrationError) as caught:
        calibrate_folder(views, (9, 6), 25)
    assert caught.value.message_id == "calibration.all_unreadable"
    done = run_cli("calibrate", "camera", "--images", str(views), "--json", str(tmp_path / "out.json"))
    assert done.returncode == 2 and "a.png, b.jpg, c.png" in done.stderr, done.stderr
