"""The threshold fit (``matching.evaluation.threshold_fit``) on generated scores and synthetic fingers.

The fit itself runs on ``../shared/data``; these check its parts so that a re-fit means what the
docstring of ``matching.fingerprint.thresholds`` says it means, without that data.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from matching.evaluation import threshold_fit
from matching.evaluation.fvc import SetResult, evaluate_folder, finger_id, list_images, pair_figures
from matching.evaluation.threshold_fit import (
    Run,
    finger_interval,
    fit_table,
    fvc_pairs,
    pooled,
    report,
    round_up,
    score_run,
    tail,
)


def test_pairs_are_in_the_order_evaluate_folder_returns_their_scores():
    # pair_figures splits scores in pair order: with scores 0, 1, 2, … the split gives back the indices
    ids = ["a", "a", "b", "b", "c"]
    pairs = fvc_pairs(len(ids))
    assert all(probe > gallery for probe, gallery in pairs)  # the later file is the probe
    assert len(pairs) == len(set(pairs)) == len(ids) * (len(ids) - 1) // 2
    _, genuine, impostor = pair_figures(np.arange(len(pairs), dtype=float), pairs, ids, [], [])
    same = [k for k, (a, b) in enumerate(pairs) if ids[a] == ids[b]]
    assert genuine.tolist() == same
    assert impostor.tolist() == [k for k in range(len(pairs)) if k not in same]


def test_rounding_never_lowers_a_threshold():
    rng = np.random.default_rng(1)
    for value in rng.uniform(0.01, 0.2, 1000):
        rounded = round_up(value)
        assert value <= rounded < value + 1e-4
        assert rounded == round(rounded, 4)
    assert round_up(0.0562) == 0.0562  # a value already on the grid stays (0.0562 × 10⁴ is not exact)
    # threshold_at_fmr puts a threshold one float step above a score: on the grid, that is the next step
    assert round_up(float(np.nextafter(0.4, 1))) == 0.4001


@pytest.mark.parametrize("size", [999, 11_520, 50_000])
def test_each_fitted_threshold_keeps_its_rate_on_the_scores_it_was_fitted_on(size):
    impostor = np.random.default_rng(size).gamma(4.0, 0.008, size)
    table = fit_table(impostor)
    assert [rate for rate, _ in table] == list(threshold_fit.RATES)
    thresholds = [t for _, t in table]
    assert thresholds == sorted(thresholds)  # a rarer false match needs a higher score
    for rate, threshold in table:
        accepted = int(np.sum(impostor >= threshold))
        assert accepted <= np.floor(rate * size)
        assert tail(impostor, rate, threshold)["at_or_above"] == accepted
        # the fit is tight: a threshold one rounding step lower admits more than the rate
        assert np.sum(impostor >= threshold - 2e-4) > np.floor(rate * size) or threshold - 2e-4 < impostor.min()


def test_the_rarest_point_on_11520_pairs_rests_on_one_pair():
    impostor = np.random.default_rng(3).gamma(4.0, 0.008, 11_520)
    (_, threshold), = fit_table(impostor, (1e-4,))
    rests = tail(impostor, 1e-4, threshold)
    assert rests["allowed"] == 1 and rests["at_or_above"] <= 1
    assert threshold > np.sort(impostor)[-2]  # just above the second-highest score
    assert rests["highest"] == impostor.max()


def _one_finger_high(fingers: int = 6, repeat: int = 20):
    """Impostor pairs of ``fingers`` fingers in one set, every pair with finger 0 scoring high."""
    rng = np.random.default_rng(5)
    pairs = np.array([(a, b) for a in range(fingers) for b in range(a + 1, fingers)] * repeat)
    scores = np.where((pairs == 0).any(axis=1), 0.9, 0.1) + rng.uniform(0, 0.01, len(pairs))
    return scores, pairs, np.array(["S"] * fingers)


def test_interval_over_fingers_spans_a_tail_that_one_finger_makes():
    scores, pairs, strata = _one_finger_high()
    rate = 0.2  # below the share of pairs with finger 0 (1/3): set by finger 0 when it is drawn
    low, high = finger_interval(scores, pairs, strata, rate)
    assert low < 0.5 < high  # draws without finger 0 fit near 0.1, draws with it near 0.9
    assert (low, high) == finger_interval(scores, pairs, strata, rate)  # seeded: a property of the scores


def _run(name, fingers, flow, minutiae):
    return Run(name, fingers, fvc_pairs(len(fingers)), np.asarray(flow, float), np.asarray(minutiae, float), 0.0)


def test_pooling_shares_a_finger_between_the_views_and_report_compares_with_the_code():
    fingers = ["S/1", "S/1", "S/2", "S/2"]  # pairs (1,0) and (3,2) genuine, the other four impostor
    flow = [0.9, 0.1, 0.2, 0.3, 0.4, 0.8]
    runs = [_run("S", fingers, flow, np.add(flow, 0.05)), _run("S+zfm", fingers, flow, np.add(flow, 0.05))]
    pool = pooled(runs)
    assert len(pool["flow_genuine"]) == 4 and len(pool["flow_impostor"]) == 8
    assert pool["finger_sets"].tolist() == ["S", "S"]  # two fingers, not four: the views share them
    assert {tuple(p) for p in pool["impostor_fingers"]} == {(1, 0)}
    code = {"flow": ((1e-2, 0.35), (1e-3, 0.5), (1e-4, 0.6)), "minutiae": ((1e-2, 0.35), (1e-3, 0.5), (1e-4, 0.6))}
    result = report(pool, code, verify_fmr=1e-3)
    row = result["verify"]["flow"]
    assert row["fmr"] == 1e-3 and row["in_code"] == 0.5
    assert row["threshold"] > 0.4 and row["fnmr"] == 0.0  # above every impostor, below every genuine score
    assert row["fmr_in_code"] == 0.0 and row["fnmr_in_code"] == 0.0
    assert result["tables"]["minutiae"]["table"][1][1] > row["threshold"]  # the minutiae scores sit higher


def test_a_run_s_flow_scores_are_evaluate_folder_s_own(synthetic_fingers):
    run = score_run(synthetic_fingers, None, workers=1)
    paths = list_images(synthetic_fingers)
    assert len(run.pairs) == len(paths) * (len(paths) - 1) // 2
    # the re-extracted templates are the evaluation's, pair for pair: their scores differ by float rounding at
    # most (a matrix product's sums split by BLAS's thread count), where another template moves a score by 1e-3
    assert run.flow_check <= 1e-6
    same = np.array([finger_id(paths[a]) == finger_id(paths[b]) for a, b in run.pairs])
    result = evaluate_folder(synthetic_fingers, workers=1)
    assert np.array_equal(run.flow[same], result.genuine) and np.array_equal(run.flow[~same], result.impostor)
    assert not np.array_equal(run.minutiae, run.flow)  # the flow was removed before scoring


def test_the_command_writes_both_tables(synthetic_fingers, tmp_path, monkeypatch, capsys):
    (tmp_path / "fingerprints").mkdir()
    (tmp_path / "fingerprints" / "SYNTH").symlink_to(synthetic_fingers, target_is_directory=True)
    monkeypatch.setattr(threshold_fit, "SETS", ("SYNTH",))
    monkeypatch.setattr(threshold_fit, "VIEWS", (None,))
    out = tmp_path / "fit.json"
    assert threshold_fit.main(["--data", str(tmp_path), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "FMR_TABLE" in printed and "MINUTIAE_ONLY_FMR_TABLE" in printed
    result = json.loads(out.read_text())
    assert [r["run"] for r in result["runs"]] == ["SYNTH"]
    for kind in ("flow", "minutiae"):
        assert [rate for rate, _ in result["tables"][kind]["table"]] == list(threshold_fit.RATES)


def test_a_missing_set_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="FVC2000_DB4_B"):
        threshold_fit.fit(tmp_path)


def test_the_check_on_other_sets_counts_each_set_and_the_pool(monkeypatch, tmp_path):
    # two stand-in sets with known scores: the counts must be theirs, and the pool their sum
    scored = {"A": (np.array([0.02, 0.07]), np.array([0.01, 0.06, 0.03])),
              "B": (np.array([0.05, 0.08, 0.09]), np.array([0.058]))}

    def fake_evaluate(folder, sensor=None, workers=None):
        genuine, impostor = scored[folder.name]
        return SetResult(folder.name, {}, genuine, impostor)

    monkeypatch.setattr(threshold_fit, "evaluate_folder", fake_evaluate)
    table = ((1e-2, 0.04), (1e-3, 0.055))
    rows = threshold_fit.check_sets(tmp_path, ["A", "B"], table)
    assert [r["run"] for r in rows] == ["A+zfm", "B+zfm", "pooled"]
    for row in rows[:2]:
        genuine, impostor = scored[row["run"].split("+")[0]]
        for point in row["points"]:
            assert point["genuine_refused"] == int(np.sum(genuine < point["threshold"]))
            assert point["impostors_accepted"] == int(np.sum(impostor >= point["threshold"]))
    pooled_row = rows[-1]
    for k, point in enumerate(pooled_row["points"]):
        for key in ("genuine_refused", "impostors_accepted"):
            assert point[key] == rows[0]["points"][k][key] + rows[1]["points"][k][key]
    assert threshold_fit.check_markdown(rows).count("\n") == len(rows) + 1
