"""Shared fixtures. Everything here is generated: ``make test`` never needs ``../shared``."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from central.db import scratch_database
from drivers.zfm.emulator import ZfmEmulator
from drivers.zfm.fingers import load_finger_set
from drivers.zfm.pty_link import PtyLink
from matching.fingerprint.synth import write_synthetic_fingers
from station.central_link import stop_server, wait_until_ready
from station.embedded_central import free_port

# one Chromium for the whole run (Playwright's sync API allows one driver per process at a time)
pytest_plugins = ["tests.browser"]


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
def central_db(request, tmp_path, monkeypatch) -> str:
    """A database URL; with PostgreSQL, its key directory in BIOSTATION_CENTRAL_KEYS (what ``--keys``
    defaults to), so the server and the test's own engine use the same keys (SQLite's sit beside its file)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    monkeypatch.setenv("BIOSTATION_CENTRAL_KEYS", str(tmp_path / "central-keys"))
    with scratch_database(os.environ["BIOSTATION_TEST_PG"]) as url:
        yield url


class CentralProcess:
    """``biostation central serve`` in its own process; killable and restartable on the same port."""

    def __init__(self, db: str, home: Path) -> None:
        self.db = db
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> None:
        env = dict(os.environ, BIOSTATION_HOME=str(self.home))
        self.proc = subprocess.Popen(BIOSTATION + ["central", "serve", "--db", self.db, "--port", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if not wait_until_ready(self.url, timeout, lambda: self.proc.poll() is None):
            detail = self.proc.stderr.read().decode() if self.proc.poll() is not None else "no answer"
            raise RuntimeError("central did not become ready: " + detail)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)


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


@contextlib.contextmanager
def served_in_thread(engine):
    """The central record's own stack (``BodyLimit(create_app(...))`` under ``server_config``, what
    ``central serve`` runs) on a loopback port in a thread of this process; yields its URL."""
    import threading

    import uvicorn

    from central.service import MAX_PACKET_BYTES, BodyLimit, create_app, server_config

    port = free_port()
    app = create_app(engine)
    server = uvicorn.Server(server_config(BodyLimit(app, MAX_PACKET_BYTES), "127.0.0.1", port))
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_ready(url, 30, thread.is_alive)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.central.close()  # its identification worker, or it retries against a dropped database
