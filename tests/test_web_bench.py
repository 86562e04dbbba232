"""``biostation bench web`` on a tiny load: a real ``central serve``, a few applicants booking through the
portal's forms as served, the intake timed alone and beside them; the run completes without errors and
reports its keys. The figures themselves are the benchmark's business (docs/performance.md), not a test's."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import run_cli

BACKENDS = ["sqlite"] + ([os.environ["BIOSTATION_TEST_PG"]] if os.environ.get("BIOSTATION_TEST_PG") else [])


@pytest.mark.timeout(600)
@pytest.mark.parametrize("db", BACKENDS, ids=lambda db: db.split(":")[0])
def test_a_tiny_load_books_through_the_portal_and_times_the_intake(tmp_path, db):
    out = tmp_path / "web.json"
    done = run_cli("bench", "web", "--db", db, "--users", "3", "--think-s", "0.3", "--duration-s", "6",
                   "--gallery", "10", "--intake-packets", "8", "--pdf-share", "0", "--status-share", "1",
                   "--json", str(out), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text())
    web, intake = figures["web"], figures["intake"]
    assert web["errors"] == 0, web["error_kinds"]
    assert web["bookings"] >= 1
    for kind in ("start", "book_form", "book", "confirmation"):
        assert {"count", "p50_ms", "p95_ms", "p99_ms", "max_ms"} <= web["pages"][kind].keys()
    assert web["all_but_pdf"]["count"] >= 4
    for phase in ("alone_before", "under_load", "alone_after"):
        assert intake[phase]["stored"] == 8
        assert intake[phase]["packets_per_second"] > 0
    assert intake["loaded_over_alone"] > 0
    assert set(figures["targets"]) == {"page_p95_ms", "page_p95_met", "intake_ratio", "intake_ratio_met"}
    assert "all but PDF" in done.stdout and "intake packets/s" in done.stdout
