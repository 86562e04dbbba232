"""The evaluation plumbing: LFW pairs parsing, pair scoring, floors in both directions."""

from __future__ import annotations

import numpy as np

from matching.evaluation.lfw import evaluate_pairs, read_pairs
from station.evaluation import check


def test_lfw_pairs_file(tmp_path):
    (tmp_path / "pairs.txt").write_text("1\t2\nAnn\t1\t2\nBob\t1\t3\nAnn\t1\tBob\t2\nCy\t4\tAnn\t2\n")
    pairs = read_pairs(tmp_path / "pairs.txt", tmp_path)
    assert [p.same for p in pairs] == [True, True, False, False]
    assert pairs[0].a.endswith("Ann/Ann_0001.jpg") and pairs[0].b.endswith("Ann/Ann_0002.jpg")
    assert pairs[3].a.endswith("Cy/Cy_0004.jpg") and pairs[3].b.endswith("Ann/Ann_0002.jpg")


def test_pairs_are_scored_at_the_fixed_threshold_and_unreadable_images_count_as_errors(tmp_path):
    (tmp_path / "pairs.txt").write_text("1\t2\nA\t1\t2\nB\t1\t2\nA\t1\tB\t1\nA\t2\tB\t2\n")
    pairs = read_pairs(tmp_path / "pairs.txt", tmp_path)
    e = {p: (np.zeros(128, np.float32), 100.0, "detector") for pair in pairs for p in (pair.a, pair.b)}
    far = np.zeros(128, np.float32)
    far[0] = 1.0
    b1 = str(tmp_path / "B" / "B_0001.jpg")
    e[b1] = (far, 100.0, "detector")  # B_0001 looks like someone else entirely
    figures = evaluate_pairs(pairs, e, threshold=0.6)
    # genuine B1–B2 fails (distance 1.0); impostor A2–B2 is accepted (distance 0): 2 errors of 4
    assert figures["accuracy"] == 0.5
    e[b1] = (None, 0.0, "unreadable")
    figures = evaluate_pairs(pairs, e, threshold=0.6)
    assert figures["failures_to_enroll"] == 1 and figures["failed_pairs"] == 2


def test_floors_know_which_way_is_better():
    floors = {"S": {"eer": 0.05, "accuracy": 0.99}}
    assert check({"S": {"eer": 0.04, "accuracy": 0.995}}, floors) == []
    failures = check({"S": {"eer": 0.06, "accuracy": 0.98}}, floors)
    assert len(failures) == 2
    assert check({}, floors) == ["S: no result (the set is missing from the data)"]


def test_lfw_sets_aside_a_face_at_the_edge_of_a_photo_cut_around_its_subject():
    """LFW centres its subject: someone at the edge is a bystander, not the person named."""
    from matching.evaluation.lfw import locate_face
    from matching.face.sample import astronaut, face_of

    rgb = astronaut()
    box, _ = face_of(rgb)
    face = rgb[max(0, box.top - 20) : box.bottom + 20, max(0, box.left - 20) : box.right + 20]
    canvas = np.full((3 * face.shape[0], 3 * face.shape[1], 3), 128, np.uint8)
    canvas[face.shape[0] : 2 * face.shape[0], : face.shape[1]] = face  # at the left edge
    assert locate_face(canvas, centred=False).source == "detector"
    bystander = locate_face(canvas, centred=True)
    assert bystander.source == "centre_box"
    centred = canvas.copy()
    centred[:] = 128
    centred[face.shape[0] : 2 * face.shape[0], face.shape[1] : 2 * face.shape[1]] = face
    assert locate_face(centred, centred=True).source == "detector"


def test_fvc_figures_on_synthetic_fingers_carry_the_eer_and_its_interval(synthetic_fingers):
    # the fixture drew the fingers with OpenCV in this process: forked workers would inherit its
    # threads' locks and wait forever, so this also checks that the workers start fresh
    from matching.evaluation.fvc import evaluate_folder

    result = evaluate_folder(synthetic_fingers, workers=2)
    f = result.figures
    for key in ("eer", "fmr100", "fmr1000", "zero_fmr", "genuine", "impostor",
                "extract_ms_median", "compare_us_median"):
        assert key in f
    # 4 fingers × 4 impressions: 4 · 6 genuine pairs, the other 96 of the 120 impostors
    assert (f["genuine"], f["impostor"]) == (24, 96)
    low, high = f["eer_interval90"]
    assert 0.0 <= low <= f["eer"] <= high <= 1.0
