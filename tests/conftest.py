"""Shared fixtures. Everything here is generated: ``make test`` never needs ``../shared``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
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


# -- the central record: a real server process on loopback -------------------------------------------

BIOSTATION = [sys.executable, "-m", "station.cli"]


def _backends() -> list[str]:
    """SQLite always; PostgreSQL too when CI points BIOSTATION_TEST_PG at a server."""
    return ["sqlite"] + (["postgresql"] if os.environ.get("BIOSTATION_TEST_PG") else [])


@pytest.fixture(params=_backends())
def central_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    import psycopg

    admin = os.environ["BIOSTATION_TEST_PG"].replace("postgresql+psycopg://", "postgresql://")
    name = "bs_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CentralProcess:
    """``biostation central serve`` in its own process; killable and restartable on the same port."""

    def __init__(self, db: str, home: Path) -> None:
        self.db = db
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        import httpx

        env = dict(os.environ, BIOSTATION_HOME=str(self.home))
        self.proc = subprocess.Popen(BIOSTATION + ["central", "serve", "--db", self.db, "--port", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("central exited: " + self.proc.stderr.read().decode())
            try:
                if httpx.get(self.url + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("central did not become ready")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def central(central_db, tmp_path):
    server = CentralProcess(central_db, tmp_path / "central-home")
    server.start()
    yield server
    server.stop()


def run_cli(*args: str, env: dict | None = None, stdin: str | None = None, timeout: float = 120):
    """Run ``biostation`` as a user would; returns the completed process."""
    full_env = dict(os.environ, BIOSTATION_LANGUAGE="en", **(env or {}))
    return subprocess.run(BIOSTATION + list(args), env=full_env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)
