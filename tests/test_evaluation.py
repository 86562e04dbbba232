"""The evaluation plumbing: LFW pairs parsing, pair scoring, floors in both directions."""

from __future__ import annotations

import numpy as np

from matching.evaluation.lfw import evaluate_pairs, read_pairs
from station.evaluation import check, check_fingerprints, fingerprint_floors, table


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


def test_fingerprint_floors_allow_half_a_point_a_run_and_hold_the_mean_to_its_measure():
    measured = {"A": {"eer": 0.0200}, "A+zfm": {"eer": 0.0600}, "B": {"eer": 0.0100}}
    floors, mean_floor = fingerprint_floors(measured)
    assert floors == {"A": {"eer": 0.025}, "A+zfm": {"eer": 0.065}, "B": {"eer": 0.015}}
    assert mean_floor == 0.030  # the mean, 0.0300, is already on a 0.05-point step
    assert fingerprint_floors({"A": {"eer": 0.0269}})[1] == 0.027  # 2.69 % rounds up to 2.70 %
    assert fingerprint_floors({"A": {"eer": 0.02701}})[1] == 0.0275

    # A 0.4 point worse, B 0.4 point better: every run within its floor, the mean unchanged
    results = {"A": {"eer": 0.0240}, "A+zfm": {"eer": 0.0600}, "B": {"eer": 0.0060}}
    assert check_fingerprints(results, floors, mean_floor) == []
    # A 0.6 point worse (B as much better, so the mean holds): A alone fails
    results = {"A": {"eer": 0.0260}, "A+zfm": {"eer": 0.0600}, "B": {"eer": 0.0040}}
    assert check_fingerprints(results, floors, mean_floor) == [
        "A: eer = 0.026 is worse than the floor 0.025"]
    # every run within its floor, but each a little worse: the mean fails
    results = {"A": {"eer": 0.0240}, "A+zfm": {"eer": 0.0640}, "B": {"eer": 0.0110}}
    failures = check_fingerprints(results, floors, mean_floor)
    assert failures == ["mean EER over 3 runs = 0.0330 is worse than the floor 0.03"]
    # a missing run fails as such, whatever the mean of the others
    assert check_fingerprints({"A": {"eer": 0.01}, "B": {"eer": 0.01}}, floors, mean_floor) == [
        "A+zfm: no result (the set is missing from the data)"]


def test_the_fingerprint_table_shows_each_floor_and_the_mean_beside_its_floor():
    run = {"eer": 0.0118, "eer_interval90": [0.0, 0.0215], "fmr100": 0.0179, "fmr1000": 0.0393,
           "zero_fmr": 0.0571, "extract_ms_median": 60.0, "compare_us_median": 700.0}
    text = table({"FVC2000_DB1_B": run, "FVC2000_DB1_B+zfm": run | {"eer": 0.0106}},
                 {"FVC2000_DB1_B": {"eer": 0.0168}}, 0.0115)
    lines = text.splitlines()
    assert lines[2].startswith("| FVC2000_DB1_B | 1.18% ✓ | 5.0% | 1.68% | 0.00%–2.15% |")
    assert lines[3].startswith("| FVC2000_DB1_B+zfm | 1.06% | – | – |")
    assert lines[-1] == "| mean over 2 runs | 1.12% | – | 1.15% | – | 1.79% | 3.93% | 5.71% | – | – |"


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
