"""The central record's intake rate: sealed packets per second it verifies, stores and checks 1:N.

A bounded load test on loopback only: the real ``biostation central serve`` process, a
registered station, ``packets`` distinct records sealed beforehand (sealing is the
station's cost, not the central record's) and posted by ``clients`` concurrent senders.
For PostgreSQL, a fresh database is created on the given server and dropped afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_database(url: str) -> tuple[str, callable]:
    """(url of a database to use, clean-up). SQLite: a temporary file; PostgreSQL: a new database."""
    if url == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-central-")
        return f"sqlite:///{folder}/central.db", lambda: None
    import psycopg

    admin = url.replace("postgresql+psycopg://", "postgresql://")
    name = "bs_bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return admin.rsplit("/", 1)[0] + "/" + name, drop


def intake_rate(database: str = "sqlite", packets: int = 200, clients: int = 4) -> dict:
    from central import store
    from central.db import connect
    from central.service import PACKET_TYPE
    from enrollment.synthetic import sample_record
    from matching.fingerprint.synth import write_synthetic_fingers

    from .settings import load_settings
    from .station import Station

    url, drop = _fresh_database(database)
    home = Path(tempfile.mkdtemp(prefix="bench-station-"))
    port = _free_port()
    env = dict(os.environ, BIOSTATION_HOME=str(home / "central"))
    server = subprocess.Popen([sys.executable, "-m", "station.cli", "central", "serve", "--db", url,
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the central record did not start")
            time.sleep(0.1)
        engine = connect(url)
        number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
        token = store.issue_token(engine, "bench")
        engine.dispose()
        write_synthetic_fingers(home / "fingers", 2, 1, seed=1)
        station = Station(load_settings({"BIOSTATION_HOME": str(home / "station")}))
        station.register(base, token)
        application = station.applications().lookup(number)
        wires = []
        for i in range(packets):
            pid = station.submit(sample_record(application, station.registration.station_id, home / "fingers", i))
            wires.append(station.outbox.wire(pid))
        station.close()

        def post(wire: bytes) -> int:
            with httpx.Client(timeout=30) as client:
                return client.post(base + "/api/v1/packets", content=wire,
                                   headers={"content-type": PACKET_TYPE}).status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            codes = list(pool.map(post, wires))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(15)
        drop()
    return {"database": "postgresql" if database != "sqlite" else "sqlite", "packets": packets,
            "clients": clients, "stored": codes.count(201), "seconds": round(elapsed, 2),
            "packets_per_second": round(packets / elapsed, 1),
            "packet_kib": round(sum(map(len, wires)) / len(wires) / 1024, 1)}
