"""Shared fixtures. Everything here is generated: ``make test`` never needs ``../shared``."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.zfm.emulator import ZfmEmulator
from drivers.zfm.fingers import load_finger_set
from drivers.zfm.pty_link import PtyLink
from matching.fingerprint.synth import write_synthetic_fingers


@pytest.fixture(scope="session")
def synthetic_fingers(tmp_path_factory) -> Path:
    """Four synthetic fingers, four impressions each, with ground-truth minutiae."""
    folder = tmp_path_factory.mktemp("fingers")
    write_synthetic_fingers(folder, fingers=4, impressions=4, seed=11)
    return folder


@pytest.fixture(autouse=True)
def station_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("BIOSTATION_HOME", str(home))
    return home


@pytest.fixture
def emulator(synthetic_fingers, tmp_path) -> ZfmEmulator:
    return ZfmEmulator(load_finger_set(synthetic_fingers), tmp_path / "sensor.json", seed=3)


@pytest.fixture
def link(emulator):
    with PtyLink(emulator) as served:
        yield served
