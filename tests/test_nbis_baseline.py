"""NBIS beside every figure (issue 28): the baseline's figures, its failures, its records, its column.

Everything runs on generated fingers: no ``../shared`` needed. bozorth3 is slow on generated
prints (0.2–0.5 s a pair: their regular ridges give it many compatible minutia pairs), so the sets
here are small.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from matching.evaluation.fvc import evaluate_folder, list_images, work_units
from matching.evaluation.nbis_baseline import (
    FAILED_SCORE,
    cross_vendor,
    extract_iso,
    nbis_layout_record,
    nbis_standard_record,
    new_extractor,
    score_pairs,
    table,
)
from matching.fingerprint.iso19794_2 import FingerprintRecordError, decode_record, encode_record
from matching.fingerprint.synth import write_synthetic_fingers

KEYS = ("eer", "fmr100", "fmr1000", "zero_fmr", "genuine", "impostor", "extract_ms_median", "compare_us_median")
CLI = [sys.executable, "-m", "station.cli"]


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> Path:
    """Three fingers, three impressions each: 9 genuine and 27 impostor pairs."""
    folder = tmp_path_factory.mktemp("nbis_fingers")
    write_synthetic_fingers(folder, fingers=3, impressions=3, seed=5)
    return folder


def test_the_same_pairs_are_scored_by_nbis_with_the_same_figures(small_set):
    result = evaluate_folder(small_set, workers=2, baseline="nbis")
    ours, nbis = result.figures, result.figures["nbis"]
    for key in KEYS:
        assert key in ours and key in nbis, key
    assert (nbis["genuine"], nbis["impostor"]) == (ours["genuine"], ours["impostor"]) == (9, 27)
    assert nbis["failed_extractions"] == 0
    assert nbis["extract_ms_median"] > 0 and nbis["compare_us_median"] > 0
    low, high = nbis["eer_interval90"]
    assert 0.0 <= low <= nbis["eer"] <= high <= 1.0
    if nbis["eer"] > 0:
        assert ours["eer_ratio_nbis"] == pytest.approx(ours["eer"] / nbis["eer"])
    else:
        assert ours["eer_ratio_nbis"] is None
    # without the baseline nothing of NBIS is computed, and a baseline we do not know is refused
    assert work_units(small_set, "nbis") == 2 * work_units(small_set)
    with pytest.raises(ValueError, match="baseline"):
        evaluate_folder(small_set, baseline="verifinger")


def test_a_print_nbis_cannot_use_scores_the_lowest_score_and_is_counted(small_set, tmp_path):
    blank = tmp_path / "9_1.png"
    cv2.imwrite(str(blank), np.full((360, 300), 255, np.uint8))  # no ridge: mindtct finds no minutia
    images = list_images(small_set)[:3] + [blank]
    jobs = [(str(p), 500, None) for p in images]
    assert extract_iso(jobs[3])[0] is None
    pairs = [(j, i) for i in range(len(images)) for j in range(i + 1, len(images))]
    scored = score_pairs(jobs, pairs, workers=2)
    assert scored.failed == 1
    assert len(scored.scores) == len(pairs)
    with_blank = [k for k, pair in enumerate(pairs) if 3 in pair]
    assert (scored.scores[with_blank] == FAILED_SCORE).all()
    assert (scored.scores[[k for k in range(len(pairs)) if k not in with_blank]] > FAILED_SCORE).all()
    assert len(scored.compare_us) == len(pairs) - len(with_blank)  # failed pairs are not timed
    assert len(scored.extract_ms) == 3


def test_the_zfm_view_is_what_nbis_gets_too(small_set):
    path = str(list_images(small_set)[0])
    native, _ = extract_iso((path, 500, None))
    zfm, _ = extract_iso((path, 500, "zfm"))
    width, height = struct.unpack_from(">HH", zfm, 14)
    assert (width, height) == (256, 288)  # the sensor's window, not the 300×360 file
    assert struct.unpack_from(">HH", native, 14) == (300, 360)


def test_the_cli_writes_an_nbis_object_beside_every_set(small_set, tmp_path):
    out = tmp_path / "eval.json"
    done = subprocess.run(CLI + ["eval", "fingerprints", str(small_set), "--baseline", "nbis", "--json", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    figures = json.loads(out.read_text())["sets"][small_set.name]
    assert set(KEYS) <= set(figures["nbis"])
    assert (figures["nbis"]["genuine"], figures["nbis"]["impostor"]) == (figures["genuine"], figures["impostor"])
    assert "eer_ratio_nbis" in figures


@pytest.mark.parametrize("dpi", ["0", "-500"])
def test_a_resolution_of_zero_or_less_is_refused_not_taken_for_500(small_set, tmp_path, dpi):
    out = tmp_path / "eval.json"
    done = subprocess.run(CLI + ["eval", "fingerprints", str(small_set), "--baseline", "nbis", "--dpi", dpi,
                                 "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and not out.exists()
    assert "--dpi" in done.stderr and dpi in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("text", ["five hundred", "0"])
def test_a_bad_dpi_txt_is_named_not_a_traceback(tmp_path, text):
    folder = tmp_path / "prints"
    write_synthetic_fingers(folder, fingers=1, impressions=2, seed=1)
    (folder / "dpi.txt").write_text(text)
    done = subprocess.run(CLI + ["eval", "fingerprints", str(folder), "--baseline", "nbis", "--json",
                                 str(tmp_path / "eval.json")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert str(folder / "dpi.txt") in done.stderr and "Traceback" not in done.stderr, done.stderr


# -- NBIS's ISO records ---------------------------------------------------------------------------
def _nbis_minutiae(small_set):
    png = cv2.imencode(".png", cv2.imread(str(list_images(small_set)[0]), cv2.IMREAD_GRAYSCALE))[1].tobytes()
    return new_extractor().extract_minutiae(png)


def test_our_reader_takes_nbis_records_in_its_own_layout(small_set):
    minutiae = _nbis_minutiae(small_set)
    record = minutiae.to_iso_19794_2_2005()
    template, position = decode_record(record)
    listed = minutiae.get()
    assert (template.width, template.height, template.dpi, position) == (300, 360, 500, 0)
    assert len(template.minutiae) == len(listed) > 0
    assert [(int(x), int(y)) for x, y in template.minutiae[:, :2]] == [(m.x(), m.y()) for m in listed]
    # NBIS writes M1 directions (counter-clockwise, a ridge ending pointing into its ridge), which are
    # the standard's: read as a standard record's, they are ours turned by 180° and made clockwise
    for k, row in enumerate(template.minutiae):
        counter_clockwise = record[26 + 6 * k + 4] / 256 * 2 * np.pi
        expected = np.mod(-counter_clockwise + np.pi, 2 * np.pi)
        assert abs(np.angle(np.exp(1j * (row[2] - expected)))) < 1e-9
    assert set(template.minutiae[:, 3]) <= {1.0, 2.0}
    # our own records still read as before
    again, _ = decode_record(encode_record(template))
    assert len(again.minutiae) == len(template.minutiae)


def test_nbis_records_are_held_to_the_same_bounds(small_set):
    record = bytearray(_nbis_minutiae(small_set).to_iso_19794_2_2005())
    # more minutiae than any finger shows: refused by name, not read
    count = 201
    crowded = bytearray(record[:25]) + bytes([count]) + bytes(6) * count
    struct.pack_into(">I", crowded, 8, len(crowded))
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(bytes(crowded))
    assert caught.value.message_id == "template.too_many_minutiae"
    # a minutia outside the image
    outside = bytearray(record)
    struct.pack_into(">H", outside, 26 + 2, 5000)
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(bytes(outside))
    assert caught.value.message_id == "template.bad_minutia"
    # a standard record without a view is still refused as one, not taken for NBIS's layout
    standard = bytearray(encode_record(decode_record(bytes(record))[0]))
    standard[22] = 0
    with pytest.raises(FingerprintRecordError) as caught:
        decode_record(bytes(standard))
    assert caught.value.message_id == "template.no_views"


def test_cross_vendor_figures_fill_every_cell_on_the_same_pairs(small_set):
    report = cross_vendor(small_set, workers=2)
    assert report["refused_by_our_reader"] == {} and report["nbis_failed_extractions"] == 0
    assert report["lenient_differs"] == 0  # NBIS's export, read leniently, is the standard record of its minutiae
    for name in ("ours_on_ours", "ours_on_ours_minutiae_only", "bozorth3_on_ours", "ours_on_nbis", "bozorth3_on_nbis",
                 "ours_vs_nbis", "bozorth3_ours_vs_nbis"):
        assert (report[name]["genuine"], report[name]["impostor"]) == (9, 27), name
        assert 0.0 <= report[name]["eer"] <= 1.0
    # every cell where the two sides' directions meet agrees: at chance (EER ~0.5) they would not
    for name in ("bozorth3_on_ours", "ours_on_nbis", "ours_vs_nbis", "bozorth3_ours_vs_nbis"):
        assert report[name]["eer"] < 0.5, name
    lines = table({small_set.name: report}).splitlines()
    assert lines[2] == "| templates | our matcher | bozorth3 |" and len(lines) == 7


def test_nbis_reads_ours_only_in_its_own_layout(small_set):
    """nbis-py has no constructor from a list of minutiae, and its loader finds no minutia in a standard
    record; our template in its layout loads whole, at mindtct's 11.25° direction steps."""
    from matching.fingerprint.extractor import extract
    from matching.fingerprint.iso19794_2 import iso_angle, quantized

    extractor = new_extractor()
    template = quantized(extract(cv2.imread(str(list_images(small_set)[0]), cv2.IMREAD_GRAYSCALE)))
    assert extractor.load_iso_19794_2_2005(encode_record(template)).get() == []
    loaded = extractor.load_iso_19794_2_2005(nbis_layout_record(template)).get()
    assert len(loaded) == len(template)
    assert [(m.x(), m.y()) for m in loaded] == [(int(x), int(y)) for x, y in template.minutiae[:, :2]]
    for m, direction in zip(loaded, template.minutiae[:, 2], strict=True):
        turn = (m.angle() - iso_angle(direction) * 360 / 256 + 180) % 360 - 180
        assert abs(turn) <= 11.25 / 2 + 1e-9


def test_nbis_minutiae_become_a_standard_record_by_our_writer(small_set):
    minutiae = _nbis_minutiae(small_set)
    record = nbis_standard_record(minutiae.get(), 300, 360)
    assert record[22] == 1  # one finger view: the standard's header, not NBIS's
    standard, _ = decode_record(record)
    lenient, _ = decode_record(minutiae.to_iso_19794_2_2005())
    assert np.array_equal(standard.minutiae[:, :4], lenient.minutiae[:, :4])
    assert [round(m.reliability() * 100) for m in minutiae.get()] == list(standard.minutiae[:, 4].astype(int))


# -- make eval's table ----------------------------------------------------------------------------
def test_the_table_puts_nbis_and_the_ratio_beside_each_run_and_their_mean():
    from station.evaluation import table

    run = {"eer": 0.01, "eer_interval90": [0.0, 0.02], "fmr100": 0.02, "fmr1000": 0.04, "zero_fmr": 0.06,
           "extract_ms_median": 60.0, "compare_us_median": 700.0}
    lines = table({"A": run | {"nbis": {"eer": 0.04}, "eer_ratio_nbis": 0.25},
                   "B": run | {"eer": 0.03, "nbis": {"eer": 0.04}, "eer_ratio_nbis": 0.75},
                   "C": run | {"eer": 0.0, "nbis": {"eer": 0.0}, "eer_ratio_nbis": None},
                   "D": run}).splitlines()
    assert lines[0].endswith("| NBIS EER | ours / NBIS |")
    assert lines[2].endswith("| 4.00% | 0.25 ✓ |")
    assert lines[3].endswith("| 4.00% | 0.75 ✗ |")
    assert lines[4].endswith("| 0.00% | n/a |")
    assert lines[5].endswith("| – | – |")
    assert lines[-1].endswith("| 2.67% | 0.50 ✓ over 2 runs |")


def test_make_eval_runs_the_baseline_on_both_views(monkeypatch, tmp_path):
    import station.evaluation as evaluation

    sets = tmp_path / "data" / "fingerprints"
    write_synthetic_fingers(sets / "S", fingers=1, impressions=2, seed=1)
    calls = []

    def fake(folders, sensor=None, dpi=None, progress=None, baseline=None):
        calls.append((sensor, baseline))
        figures = {"eer": 0.01, "nbis": {"eer": 0.02}, "eer_ratio_nbis": 0.5}
        return {"S": figures}, {"S": (np.array([1.0]), np.array([0.0]))}

    monkeypatch.setattr(evaluation, "evaluate_fingerprint_sets", fake)
    monkeypatch.setattr(evaluation, "det_plot", lambda curves, out, title: out)
    results, _ = evaluation.run_fingerprints(tmp_path / "data", tmp_path / "out")
    assert calls == [(None, "nbis"), ("zfm", "nbis")]
    written = json.loads((tmp_path / "out" / "fingerprints.json").read_text())["sets"]
    assert written["S+zfm"]["eer_ratio_nbis"] == 0.5 and written["S"]["nbis"]["eer"] == 0.02
