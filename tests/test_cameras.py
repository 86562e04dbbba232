"""File-backed cameras: the same interface as a real one, looping and paced."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from drivers import open_camera
from drivers.errors import BadImageSource, DeviceNotFound, UnknownDeviceURL


def _frames(folder, count=3):
    folder.mkdir()
    colours = []
    for i in range(count):
        image = np.full((48, 64, 3), (i * 60, 255 - i * 60, 40), np.uint8)
        cv2.imwrite(str(folder / f"frame_{i:02d}.png"), image)
        colours.append(image[0, 0].tolist())
    return colours


def test_folder_plays_in_sorted_order_and_loops(tmp_path):
    colours = _frames(tmp_path / "f")
    cam = open_camera(f"file:{tmp_path / 'f'}?fps=50")
    try:
        seen = [cam.read(timeout=2) for _ in range(7)]
    finally:
        cam.close()
    indices = [f.index for f in seen]
    assert indices == sorted(indices) and len(set(indices)) == 7
    got = [f.image[0, 0].tolist() for f in seen]
    start = colours.index(got[0])
    assert got == [colours[(start + k) % 3] for k in range(7)]
    assert cam.info.emulated and cam.info.kind == "camera"


def test_video_file_plays_and_loops(tmp_path):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for i in range(4):
        writer.write(np.full((48, 64, 3), i * 60, np.uint8))
    writer.release()
    cam = open_camera(f"file:{path}?fps=100")
    try:
        levels = [int(cam.read(timeout=2).image.mean()) for _ in range(10)]
    finally:
        cam.close()
    assert max(levels) > 150 and min(levels) < 20  # it went through the clip and came back


def test_frames_are_paced_at_the_stated_rate(tmp_path):
    _frames(tmp_path / "f")
    cam = open_camera(f"file:{tmp_path / 'f'}?fps=5")
    try:
        first = cam.read(timeout=2)
        second = cam.read(timeout=2)
    finally:
        cam.close()
    assert second.index == first.index + 1
    assert second.timestamp - first.timestamp >= 0.1  # 5 fps: about 0.2 s apart


def test_bad_camera_sources(tmp_path):
    with pytest.raises(UnknownDeviceURL) as caught:
        open_camera("webcam:0")
    assert "opencv:" in caught.value.params["known"]
    with pytest.raises(DeviceNotFound):
        open_camera(f"file:{tmp_path / 'missing'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(BadImageSource) as caught:
        open_camera(f"file:{tmp_path / 'empty'}")
    assert caught.value.message_id == "camera.no_images"
    bad_video = tmp_path / "broken.mp4"
    bad_video.write_bytes(b"\x00" * 100)
    with pytest.raises(BadImageSource):
        open_camera(f"file:{bad_video}")


def test_a_corrupt_image_in_the_folder_is_a_clear_error_not_a_hang(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"\x89PNG broken")
    cam = open_camera(f"file:{folder}")
    try:
        with pytest.raises(BadImageSource) as caught:
            cam.read(timeout=2)
    finally:
        cam.close()
    assert caught.value.message_id == "device.unreadable_image"
