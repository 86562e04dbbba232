"""The station's connection to the central record: signed requests, bounded waits.

Every call has a connect and a read timeout, and every failure becomes either
``CentralUnreachable`` (try again later: the network, a restarting server, a 5xx) or
``CentralRefused`` (the central record said no, with its reason), so callers decide
between "keep it in the outbox" and "tell the officer" without parsing exceptions.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from datetime import date

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.service import PACKET_TYPE
from central.wire import sign_request
from domain.errors import BiostationError

log = logging.getLogger("biostation.central_link")
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class CentralUnreachable(BiostationError):
    """Try again later: the network, a restarting server, a 5xx."""

    def __init__(self, message_id: str = "central.unreachable", **params: object) -> None:
        super().__init__(message_id, **params)


class CentralRefused(BiostationError):
    """The central record said no (a 4xx), with its reason."""

    def __init__(self, status: int, message_id: str, **params: object) -> None:
        super().__init__(message_id, **params)
        self.status = status


def _answer(response: httpx.Response, url: str) -> dict:
    if response.status_code >= 500:
        raise CentralUnreachable("central.server_error", url=url, status=response.status_code)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        raise CentralRefused(response.status_code, str(body.get("error") or "central.refused"),
                             **(body.get("params") or {}))
    return body


def wait_until_ready(url: str, timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll ``GET /health`` until it answers 200 (True), ``timeout`` passes or ``alive()`` turns False."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(url.rstrip("/") + "/health", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


def stop_server(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Stop a ``central serve`` process: SIGTERM (it finishes the request in hand and closes its
    workers), then SIGKILL if it has not gone within ``grace_s``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class CentralLink:
    def __init__(self, url: str, station_id: str | None = None, key: Ed25519PrivateKey | None = None,
                 timeout: httpx.Timeout = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.station_id = station_id
        self.key = key
        self.client = httpx.Client(timeout=timeout)

    def _send(self, method: str, path: str, body: bytes = b"", content_type: str | None = None,
              params: dict | None = None, sign: bool = True) -> dict:
        headers = {"content-type": content_type} if content_type else {}
        if sign and self.key is not None and self.station_id:
            headers.update(sign_request(method, path, body, self.station_id, self.key, query=params))
        try:
            response = self.client.request(method, self.url + path, content=body, headers=headers, params=params)
        except httpx.HTTPError as exc:
            log.info("central %s unreachable: %s", self.url, exc)
            raise CentralUnreachable("central.unreachable", url=self.url) from exc
        return _answer(response, self.url)

    def health(self) -> bool:
        try:
            return self.client.get(self.url + "/health", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def register(self, token: str, public_key_hex: str) -> dict:
        body = json.dumps({"token": token, "public_key": public_key_hex}).encode()
        return self._send("POST", "/api/v1/stations/register", body, "application/json", sign=False)

    def application(self, number: str) -> dict:
        return self._send("GET", f"/api/v1/applications/{number}")

    def appointments(self, day: date, zone: str, office: str = "") -> list[dict]:
        """The bookings of this station's office on ``day``: its queue. ``office`` may name it (the
        central record refuses another office's name, and answers 404 for a name it does not know).

        ``zone`` is the station's own, used only while the central record has no office at all."""
        return self._send("GET", "/api/v1/appointments",
                          params={"day": day.isoformat(), "office": office, "zone": zone})["appointments"]

    def templates(self, number: str) -> dict:
        return self._send("GET", f"/api/v1/applications/{number}/templates")

    def feedback(self, number: str, stars: int, comment: str) -> dict:
        body = json.dumps({"application": number, "stars": stars, "comment": comment}).encode()
        return self._send("POST", "/api/v1/feedback", body, "application/json")

    def deliver(self, wire: bytes) -> dict:
        return self._send("POST", "/api/v1/packets", wire, PACKET_TYPE, sign=False)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> CentralLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
