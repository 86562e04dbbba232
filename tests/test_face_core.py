"""The face core on a real photograph that a dev dependency ships (scikit-image's astronaut)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from matching.face.compare import THRESHOLD, is_match, search
from matching.face.detection import FaceImageError, as_rgb, detect
from matching.face.embedding import distance, encode


@pytest.fixture(scope="module")
def astronaut_bgr() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="module")
def reference(astronaut_bgr):
    rgb = as_rgb(astronaut_bgr)
    return encode(rgb, max(detect(rgb), key=lambda b: b.score))


def test_detects_the_face_and_its_68_landmarks(astronaut_bgr, reference):
    box = reference.box
    assert 150 < (box.left + box.right) / 2 < 290 and 50 < (box.top + box.bottom) / 2 < 190
    pts = reference.landmarks
    assert pts.shape == (68, 2)
    inside = (pts[:, 0] > box.left - 20) & (pts[:, 0] < box.right + 20)
    assert inside.all()
    assert pts[36:42, 0].mean() < pts[42:48, 0].mean()  # her right eye is on the image's left
    assert reference.descriptor.shape == (128,)


def test_the_same_face_resized_rotated_or_mirrored_still_matches(astronaut_bgr, reference):
    h, w = astronaut_bgr.shape[:2]
    variants = {
        "smaller": cv2.resize(astronaut_bgr, (w * 3 // 4, h * 3 // 4)),
        "rotated": cv2.warpAffine(astronaut_bgr, cv2.getRotationMatrix2D((220, 120), 8, 1.0), (w, h)),
        "mirrored": astronaut_bgr[:, ::-1].copy(),
        "gray": cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY),
    }
    for name, image in variants.items():
        rgb = as_rgb(image)
        enc = encode(rgb, max(detect(rgb), key=lambda b: b.score))
        d = distance(reference.descriptor, enc.descriptor)
        assert is_match(d), (name, d)
        assert d < THRESHOLD * 0.6, (name, d)


def test_a_different_face_does_not_match(reference):
    # the second, smaller detection in the astronaut picture is not her face; encoding
    # a cat's face region must be far away too
    cat = as_rgb(cv2.cvtColor(data.chelsea(), cv2.COLOR_RGB2BGR))
    from matching.face.detection import FaceBox

    enc = encode(cat, FaceBox(120, 20, 300, 200, 0.0))
    assert not is_match(distance(reference.descriptor, enc.descriptor))


def test_no_face_in_a_picture_without_people():
    assert detect(as_rgb(cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR))) == []


@pytest.mark.parametrize("bad, message_id", [
    (np.zeros((0, 0, 3), np.uint8), "face.empty_image"),
    (np.zeros((10, 10, 3), np.uint8), "face.bad_size"),
    (np.zeros((100, 100, 3), np.float64), "face.bad_dtype"),
    (np.zeros((100, 100, 2), np.uint8), "face.bad_shape"),
])
def test_bad_input_is_a_clear_error(bad, message_id):
    with pytest.raises(FaceImageError) as caught:
        as_rgb(bad)
    assert caught.value.message_id == message_id


def test_gallery_search_agrees_with_brute_force():
    rng = np.random.default_rng(0)
    gallery = rng.normal(0, 0.1, (5000, 128)).astype(np.float32)
    probe = gallery[1234] + rng.normal(0, 0.01, 128).astype(np.float32)
    idx, dist = search(probe, gallery, top=3)
    brute = np.argsort(np.linalg.norm(gallery - probe, axis=1))[:3]
    assert idx.tolist() == brute.tolist()
    assert idx[0] == 1234 and dist[0] < dist[1] <= dist[2]


def test_photo_files_corrupt_missing_huge_or_gray(tmp_path, astronaut_bgr):
    from matching.face.detection import read_photo

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    for path in (broken, tmp_path / "missing.jpg"):
        with pytest.raises(FaceImageError) as caught:
            read_photo(path)
        assert caught.value.message_id == "face.unreadable"
    huge = tmp_path / "huge.png"
    cv2.imwrite(str(huge), np.zeros((10, 9000, 3), np.uint8))
    with pytest.raises(FaceImageError) as caught:
        read_photo(huge)
    assert caught.value.message_id == "face.bad_size"
    gray = tmp_path / "gray.png"
    cv2.imwrite(str(gray), cv2.cvtColor(astronaut_bgr, cv2.COLOR_BGR2GRAY))
    rgb = read_photo(gray)
    assert rgb.shape == (512, 512, 3) and detect(rgb)


def test_several_faces_are_all_found_largest_first():
    two = np.hstack([cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)] * 2)
    boxes = detect(as_rgb(two))
    real = [b for b in boxes if b.score > 0.5]
    assert len(real) == 2
    assert boxes[0].width * boxes[0].height >= boxes[-1].width * boxes[-1].height
