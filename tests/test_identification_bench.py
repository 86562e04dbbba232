"""``biostation bench identification`` on a small gallery: DESIGN.md's keys, the mates found, the restart
from snapshots answering as the filled gallery; and the synthetic persons it fills the gallery with."""

from __future__ import annotations

import json

import numpy as np
import pytest

from matching.evaluation.synthetic_persons import POSITIONS, second_record, synthetic_person
from matching.fingerprint.matcher import compare
from tests.conftest import run_cli

CONTRACT = ("people", "finger_templates", "bytes_per_finger_template", "fill_minutes", "restart_minutes",
            "search_ms_median", "search_ms_p95", "records_per_hour", "memory_gb", "workers")


def test_synthetic_persons_are_reproducible_and_their_second_captures_match():
    a, again = synthetic_person(7, seed=3), synthetic_person(7, seed=3)
    assert sorted(a.fingers) == list(POSITIONS) and a.face.shape == (128,)
    assert all(np.array_equal(a.fingers[p].minutiae, again.fingers[p].minutiae) for p in POSITIONS)
    other = synthetic_person(8, seed=3)
    later = second_record(a, np.random.default_rng(1))
    genuine = [compare(a.fingers[p], later.fingers[p]) for p in POSITIONS]
    impostor = [compare(a.fingers[p], other.fingers[p]) for p in POSITIONS]
    assert min(genuine) > 3 * max(impostor)
    assert all(len(later.fingers[p]) < len(a.fingers[p]) + 8 for p in POSITIONS)


@pytest.mark.timeout(600)
def test_the_bench_fills_searches_restarts_and_reports_the_contract(tmp_path):
    out = tmp_path / "bench.json"
    done = run_cli("bench", "identification", "--people", "60", "--workers", "2", "--searches", "4",
                   "--json", str(out), timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert all(key in figures for key in CONTRACT)
    assert (figures["people"], figures["finger_templates"], figures["workers"]) == (60, 600, 2)
    assert figures["shortlist_miss"] == 0 and figures["finger_shortlist_miss"] == 0
    assert figures["restart_found_the_mate"]
    assert 0 < figures["memory_empty_gb"] < figures["memory_gb"]
    assert figures["search_ms_p95"] >= figures["search_ms_median"] > 0
    assert figures["projection"]["persons"] == 10_000_000 and figures["projection"]["machines"] >= 1
    refused = run_cli("bench", "identification", "--people", "0")
    assert refused.returncode == 2 and "must be 1 or more" in refused.stderr
