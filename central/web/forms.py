"""What every form post must pass: a CSRF token bound to the browser, and a rate limit per client.

CSRF: each browser gets a random ``csrf`` cookie (HttpOnly, SameSite=Strict); each form carries
``csrf_token``, the cookie's HMAC under this server's secret. A post from another site has neither
the cookie's value nor the secret, so it cannot forge the field. The secret is made when the
server starts: a form opened before a restart is refused once and shown again with a fresh token.

Rate limits: a token bucket per client address and per kind of action (registration, lookup,
log-in), in memory, bounded in size; past it the answer is 429 with the wait in the reader's
language.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import Request

CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"


class FormRefused(Exception):
    """A post refused before its fields are read; ``message_id`` is in the catalog."""

    def __init__(self, status: int, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.status, self.message_id, self.params = status, message_id, params


def browser_id(request: Request) -> tuple[str, bool]:
    """The browser's ``csrf`` cookie value, and whether it is new (the answer must set it)."""
    known = request.cookies.get(CSRF_COOKIE, "")
    return (known, False) if 20 <= len(known) <= 64 else (secrets.token_urlsafe(32), True)


def csrf_token(secret: bytes, browser: str) -> str:
    return hmac.new(secret, browser.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, form) -> None:
    """Refuse (403) a post whose ``csrf_token`` is not this browser's cookie signed by this server."""
    browser = request.cookies.get(CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    expected = csrf_token(request.app.state.web_secret, browser)
    if not browser or not hmac.compare_digest(sent, expected):
        raise FormRefused(403, "web.form_expired")


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int


class RateLimits:
    """Token buckets keyed by (action, client); the oldest clients are forgotten past ``max_clients``."""

    def __init__(self, rates: dict[str, Rate], max_clients: int = 50_000) -> None:
        self.rates = rates
        self.max_clients = max_clients
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, action: str, client: str) -> float:
        """0 when ``client`` may ``action`` now (one token taken), else the seconds until it may."""
        rate = self.rates[action]
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.pop((action, client), (float(rate.burst), now))
            tokens = min(rate.burst, tokens + (now - at) * rate.per_minute / 60)
            if tokens >= 1:
                self._buckets[(action, client)] = (tokens - 1, now)
                wait = 0.0
            else:
                self._buckets[(action, client)] = (tokens, now)
                wait = (1 - tokens) * 60 / rate.per_minute
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait

    def check(self, action: str, request: Request) -> None:
        wait = self.take(action, request.client.host if request.client else "")
        if wait:
            raise FormRefused(429, "web.too_many", seconds=int(wait) + 1)
