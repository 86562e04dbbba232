"""The central record's intake rate: sealed packets per second it verifies, stores and checks 1:N.

A bounded load test on loopback only: the real ``biostation central serve`` process, a
registered station, ``packets`` distinct records sealed beforehand (sealing is the
station's cost, not the central record's) and posted by ``clients`` concurrent senders.
For PostgreSQL, a fresh database is created on the given server and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx


def intake_rate(database: str = "sqlite", packets: int = 200, clients: int = 4) -> dict:
    """``database``: "sqlite" (a temporary file) or a PostgreSQL server URL (a scratch database on it)."""
    from central.db import scratch_database

    with contextlib.ExitStack() as stack:
        if database == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-central-')}/central.db"
        else:
            url = stack.enter_context(scratch_database(database, "bs_bench_"))
        return _intake_rate(url, database, packets, clients)


def _intake_rate(url: str, database: str, packets: int, clients: int) -> dict:
    from central import store
    from central.db import connect
    from central.service import PACKET_TYPE
    from enrollment.synthetic import sample_record
    from matching.fingerprint.synth import write_synthetic_fingers

    from .central_link import stop_server, wait_until_ready
    from .embedded_central import free_port
    from .settings import load_settings
    from .station import Station

    home = Path(tempfile.mkdtemp(prefix="bench-station-"))
    port = free_port()
    env = dict(os.environ, BIOSTATION_HOME=str(home / "central"))
    server = subprocess.Popen([sys.executable, "-m", "station.cli", "central", "serve", "--db", url,
                               "--keys", str(home / "central-keys"), "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_ready(base, 60.0, lambda: server.poll() is None):
            raise RuntimeError("the central record did not start")
        engine = connect(url)
        # one applicant a packet, as a day's intake is: a second packet of one application is a
        # re-enrollment, which the central record checks 1:1 against the first before storing it
        numbers = [store.add_application(engine, "Siti", "Rahayu " + "".join(chr(97 + int(d)) for d in str(i)),
                                         "1990-04-01", "passport") for i in range(packets)]
        token = store.issue_token(engine, "bench")
        engine.dispose()
        write_synthetic_fingers(home / "fingers", 2, 1, seed=1)
        station = Station(load_settings({"BIOSTATION_HOME": str(home / "station")}))
        station.register(base, token)
        desk = station.applications()
        wires = []
        for i, number in enumerate(numbers):
            record = sample_record(desk.lookup(number), station.registration.station_id, home / "fingers", i)
            wires.append(station.outbox.wire(station.submit(record)))
        desk.close()
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
        stop_server(server, 15)
    return {"database": "postgresql" if database != "sqlite" else "sqlite", "packets": packets,
            "clients": clients, "stored": codes.count(201), "seconds": round(elapsed, 2),
            "packets_per_second": round(packets / elapsed, 1),
            "packet_kib": round(sum(map(len, wires)) / len(wires) / 1024, 1)}
