"""Slow clients and connection floods (review issue 27, finding 6), over real sockets.

As the reviewer found it: connections that send half a request were held forever, and with few file
descriptors the server stopped answering. The protocol tests serve a small app with the central
record's own configuration (``central.service.server_config``) and short limits; the last one runs
``biostation central serve`` with its defaults.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import subprocess
import threading
import time

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from central.http_guard import Limits, OncePer
from central.service import MAX_PACKET_BYTES, BodyLimit, server_config
from station.central_link import stop_server, wait_until_ready
from station.embedded_central import free_port
from tests.conftest import BIOSTATION

SHORT = Limits(head_seconds=1.0, body_seconds=2.0, body_min_rate=1000, body_max_seconds=5.0, max_connections=6)


def _app() -> BodyLimit:
    app = FastAPI()

    @app.get("/health")
    async def health():
        return {"status": "ok"}

    @app.post("/echo")
    async def echo(request: Request):
        return {"length": len(await request.body())}

    return BodyLimit(app, MAX_PACKET_BYTES)


@pytest.fixture
def served():
    """The app under ``server_config(..., SHORT)`` on a loopback port, in a thread; yields (host, port)."""
    port = free_port()
    server = uvicorn.Server(server_config(_app(), "127.0.0.1", port, SHORT))
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until_ready(f"http://127.0.0.1:{port}", 20, thread.is_alive)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(10)


def _until_closed(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Seconds until the server closes ``sock`` (at most ``limit``), and what it said before."""
    started, said = time.monotonic(), b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(4096):
            said += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return time.monotonic() - started, said


def _trickle(sock: socket.socket, data: bytes, every: float, stop: threading.Event) -> None:
    for i in range(len(data)):
        if stop.is_set():
            return
        try:
            sock.sendall(data[i:i + 1])
        except OSError:
            return  # cut off
        time.sleep(every)


def _health(base: str) -> float:
    started = time.monotonic()
    assert httpx.get(base + "/health", timeout=5).status_code == 200
    return time.monotonic() - started


def test_a_body_sent_byte_by_byte_is_cut_off_within_its_bound_while_others_are_served(served):
    host, port = served
    sock = socket.create_connection((host, port))
    sock.sendall(b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/octet-stream\r\n"
                 b"content-length: 100000\r\n\r\n")
    stop = threading.Event()
    sender = threading.Thread(target=_trickle, args=(sock, b"x" * 100000, 0.05, stop), daemon=True)
    sender.start()
    answers = []
    watcher = threading.Thread(target=lambda: answers.append(_until_closed(sock, 15)), daemon=True)
    watcher.start()
    took = [_health(f"http://{host}:{port}") for _ in range(5)]  # meanwhile, others are served at once
    watcher.join(15)
    stop.set()
    sock.close()
    (seconds, said), = answers
    # 2 s for the body, plus 1 s per 1000 bytes received (20 a second here): cut at about 2.05 s
    assert 1.9 < seconds < 3.5 and said.startswith(b"HTTP/1.1 408"), (seconds, said)
    assert max(took) < 1.0, took


def test_a_half_sent_head_and_a_silent_connection_are_closed(served):
    host, port = served
    silent = socket.create_connection((host, port))
    slow = socket.create_connection((host, port))
    stop = threading.Event()
    threading.Thread(target=_trickle, args=(slow, b"GET /health HTTP/1.1\r\nhost: t\r\nx-pad: " + b"a" * 500, 0.02,
                                            stop), daemon=True).start()
    for sock in (silent, slow):
        seconds, said = _until_closed(sock, 10)
        assert seconds < 2.5 and said.startswith(b"HTTP/1.1 408"), (seconds, said)
        sock.close()
    stop.set()
    # a kept-alive connection still gets its next request answered: the head timer restarts per request
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=5) as client:
        assert client.get("/health").status_code == 200
        time.sleep(1.5)  # longer than head_seconds, shorter than uvicorn's keep-alive of 5 s
        assert client.get("/health").status_code == 200


def test_a_slow_but_steady_upload_is_not_cut_off(served):
    """200 KB at about 100 KB/s: longer than body_seconds, but each 1000 bytes earn a second."""
    host, port = served
    sock = socket.create_connection((host, port))
    body = os.urandom(200_000)
    sock.sendall(b"POST /echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/octet-stream\r\n"
                 b"connection: close\r\ncontent-length: %d\r\n\r\n" % len(body))
    started = time.monotonic()
    for i in range(0, len(body), 10_000):
        sock.sendall(body[i:i + 10_000])
        time.sleep(0.1)
    assert time.monotonic() - started > SHORT.body_seconds
    _seconds, said = _until_closed(sock, 10)
    sock.close()
    assert said.startswith(b"HTTP/1.1 200") and b'{"length":200000}' in said, said[:200]


def test_connections_past_the_cap_are_refused_and_the_server_recovers(served):
    host, port = served
    held = [socket.create_connection((host, port)) for _ in range(SHORT.max_connections)]
    time.sleep(0.2)
    extra = socket.create_connection((host, port))
    seconds, said = _until_closed(extra, 5)
    assert seconds < 1.0 and said.startswith(b"HTTP/1.1 503"), (seconds, said)
    extra.close()
    for sock in held:  # the silent ones are closed at the head deadline, and the server serves again
        _until_closed(sock, 5)
        sock.close()
    assert _health(f"http://{host}:{port}") < 1.0


def test_a_flood_of_one_message_is_logged_once_per_period(caplog):
    logger = logging.getLogger("test.flood")
    logger.addFilter(OncePer(period=60))
    with caplog.at_level(logging.WARNING, logger="test.flood"):
        for _ in range(10_000):
            logger.warning("socket.accept() out of system resource")
    assert len(caplog.records) == 1


def test_central_serve_with_few_descriptors_outlives_a_flood_of_silent_connections(tmp_path):
    """The reviewer's case, with the real command and its default limits: 64 file descriptors, 200 connections
    that send nothing and one that sends its head byte by byte. Before, the server stopped answering for good
    and wrote 55 MB to stderr in 16 s; now the connections past the cap are refused at once, every silent one is
    closed at the head deadline (10 s), the server answers again, and its log stays small."""
    port = free_port()
    env = dict(os.environ, BIOSTATION_HOME=str(tmp_path / "home"))
    env.pop("BIOSTATION_CENTRAL_KEYS", None)
    stderr = tmp_path / "stderr"
    with open(stderr, "wb") as err:
        server = subprocess.Popen(
            BIOSTATION + ["central", "serve", "--db", f"sqlite:///{tmp_path / 'central.db'}", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=err,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64)))
    base = f"http://127.0.0.1:{port}"
    flood: list[socket.socket] = []
    try:
        if not wait_until_ready(base, 60, lambda: server.poll() is None):
            server.kill()
            pytest.fail("central serve did not start: " + stderr.read_text())
        slow = socket.create_connection(("127.0.0.1", port))
        stop = threading.Event()
        threading.Thread(target=_trickle, args=(slow, b"GET /health HTTP/1.1\r\nhost: t\r\nx-pad: " + b"a" * 5000,
                                                0.05, stop), daemon=True).start()
        started = time.monotonic()
        flood = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(200)]
        seconds, said = _until_closed(slow, 20)
        assert seconds < 12.0 and said.startswith(b"HTTP/1.1 408"), (seconds, said)
        stop.set()
        for sock in flood:  # refused at once (503) past the cap, the rest closed at the head deadline
            _seconds, said = _until_closed(sock, 20)
            assert said.startswith((b"HTTP/1.1 503", b"HTTP/1.1 408")), said
        assert time.monotonic() - started < 15.0
        assert _health(base) < 2.0 and server.poll() is None
        assert stderr.stat().st_size < 20_000, stderr.read_text()[-2000:]
    finally:
        for sock in flood:
            sock.close()
        stop_server(server, 20)
