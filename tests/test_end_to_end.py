"""The station as an officer and a kiosk use it, through the command line, against a real central record.

Everything is a separate process talking over loopback: ``central serve``, and each
``biostation`` command. Devices are a ``file:`` camera playing a real portrait and the
ZFM emulator (``zfm-sim:``) behind the unmodified pyfingerprint client.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from .conftest import run_cli
from .faces import astronaut, camera_folder, studio
from .fingers import faint_first_impression

PASSWORDS = {"BIOSTATION_PASSWORD": "officer-pass", "BIOSTATION_SUPERVISOR": "budi",
             "BIOSTATION_SUPERVISOR_PASSWORD": "supervisor-pass"}


def _setup_station(central) -> None:
    token = run_cli("central", "station-token", "--db", central.db, "--name", "counter 1")
    assert token.returncode == 0, token.stderr
    reg = run_cli("station", "register", "--central", central.url, "--token", token.stdout.strip().splitlines()[-1])
    assert reg.returncode == 0, reg.stderr
    # the station's first account is its supervisor, who then authorises every later one
    assert run_cli("officer", "add", "--name", "budi", "--role", "supervisor", "--password-stdin",
                   stdin="supervisor-pass\n").returncode == 0
    supervisor = {k: v for k, v in PASSWORDS.items() if k.startswith("BIOSTATION_SUPERVISOR")}
    assert run_cli("officer", "add", "--name", "siti", "--role", "officer", "--password-stdin",
                   stdin="officer-pass\n", env=supervisor).returncode == 0


def _application(central, given: str = "Siti") -> str:
    added = run_cli("central", "applications", "add", "--db", central.db, "--given-name", given,
                    "--surname", "Rahayu", "--birth-date", "1990-04-01", "--service", "passport")
    assert added.returncode == 0, added.stderr
    return added.stdout.strip().splitlines()[-1]


def _enroll(central, number: str, camera: str, scanner: str, **env: str):
    return run_cli("enroll", "--application", number, "--camera", camera, "--scanner", scanner,
                   "--officer", "siti", "--central", central.url, "--consent",
                   "--fingers", "right-thumb,right-index", "--face-timeout", "2", env=PASSWORDS | env)


@pytest.mark.timeout(360)  # fifteen command-line runs, each starting Python and its libraries
def test_enroll_deliver_verify_offline_and_duplicates(central, synthetic_fingers, tmp_path):
    _setup_station(central)
    camera = "file:" + str(camera_folder(tmp_path / "camera", studio(astronaut())))
    scanner = f"zfm-sim:{synthetic_fingers}"
    first = _application(central)

    refused = run_cli("enroll", "--application", first, "--camera", camera, "--scanner", scanner,
                      "--officer", "siti", "--central", central.url, env=PASSWORDS)
    assert refused.returncode != 0 and "consent" in refused.stderr

    enrolled = _enroll(central, first, camera, scanner)
    assert enrolled.returncode == 0, enrolled.stderr
    summary = json.loads(enrolled.stdout)
    assert summary["delivered"] is True and summary["approved_by"] == "budi"
    # the portrait smiles and tilts: kept after the time limit as a quality exception
    assert summary["face"]["quality_exception"] is True and not summary["face"]["checks"]["mouth_closed"]["passed"]
    assert [f["finger"] for f in summary["fingers"]] == ["right-thumb", "right-index"]
    assert all(f["quality"] >= 40 for f in summary["fingers"])

    outbox = json.loads(run_cli("outbox", "--json").stdout)
    assert (outbox["pending"], outbox["delivered"]) == (0, 1)
    records = json.loads(run_cli("central", "records", "--db", central.db, "--json").stdout)
    assert [(r["application"], r["packet_id"]) for r in records] == [(first, summary["packet_id"])]

    # kiosk-style 1:1: the same person, impressions the enrollment never saw
    verified = run_cli("verify", "--application", first, "--camera", camera, "--scanner", scanner + "?first=5",
                       "--central", central.url)
    assert verified.returncode == 0, verified.stderr
    result = json.loads(verified.stdout)
    assert result["decision"] == "match" and result["fused_score"] >= result["threshold"]
    assert 0 < result["finger_nfiq2"] <= 100  # the NFIQ 2 of the print that was compared, beside its score
    # at the counter as at the kiosk, a dry print is refused with what to do, and taken again
    dry = faint_first_impression(synthetic_fingers, tmp_path / "dry")
    again = run_cli("verify", "--application", first, "--camera", camera, "--scanner", f"zfm-sim:{dry}",
                    "--central", central.url)
    assert again.returncode == 0, again.stderr
    assert "too light" in again.stderr and json.loads(again.stdout)["decision"] == "match"
    # someone else: no face in front of the camera, another finger on the sensor
    empty = "file:" + str(camera_folder(tmp_path / "empty", np.full((480, 640, 3), 128, np.uint8)))
    stranger = run_cli("verify", "--application", first, "--camera", empty, "--scanner", "zfm-sim:?seed=99",
                       "--central", central.url, "--face-timeout", "1")
    assert stranger.returncode == 1, stranger.stderr
    assert json.loads(stranger.stdout)["decision"] == "no_match"

    # the central record goes down: enrollment still works, the record waits in the outbox
    second = _application(central, "Sari")
    assert run_cli("outbox", "flush").returncode == 0  # every contact refreshes today's appointments
    central.kill()
    offline = _enroll(central, second, camera, scanner)
    assert offline.returncode == 0, offline.stderr
    assert json.loads(offline.stdout)["delivered"] is False
    assert json.loads(run_cli("outbox", "--json").stdout)["pending"] == 1
    assert run_cli("outbox", "flush").returncode == 1  # still unreachable: something is left
    central.start()
    flushed = run_cli("outbox", "flush")
    assert flushed.returncode == 0, flushed.stderr
    records = json.loads(run_cli("central", "records", "--db", central.db, "--json").stdout)
    assert sorted(r["application"] for r in records) == sorted([first, second])
    # same face and fingers under another application: one queue item for an adjudicator, fused over the
    # face and the finger (the search runs after the record is stored and acknowledged, so it may take a moment)
    deadline = time.monotonic() + 30
    while True:
        records = json.loads(run_cli("central", "records", "--db", central.db, "--json").stdout)
        flags = next(r for r in records if r["application"] == second)["flags"]
        if flags or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [f["other_application"] for f in flags] == [first]
    assert flags[0]["face_distance"] is not None and flags[0]["fingers"] >= 1
    assert next(r for r in records if r["application"] == first)["flags"] == []
