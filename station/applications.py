"""Applications as the station sees them: from the central record, or from its encrypted cache.

Today's appointments are the bookings of the office the station serves (``Settings.office``; the
default office without one), made on the portal or by staff. Every application looked up and
today's appointments (in the station's time zone) are kept sealed in ``cache.db``, refreshed
on every successful contact with the central record, so a counter keeps enrolling while the
network is down; the records then wait in the outbox.
"""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.errors import BiostationError

from .central_link import CentralLink, CentralUnreachable
from .storage import Database, open_blob, seal_blob

SCHEMA = """
CREATE TABLE IF NOT EXISTS applications (number TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, sealed BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS appointments (day TEXT PRIMARY KEY, fetched_at TEXT NOT NULL, sealed BLOB NOT NULL)
"""


class ApplicationError(BiostationError):
    """An application the station cannot find, online or in its cache."""


class ApplicationDesk:
    def __init__(self, home: Path, storage_key: bytes, link: CentralLink | None, zone: str, office: str = "") -> None:
        self.db = Database(home / "cache.db", SCHEMA)
        self.key = storage_key
        self.link = link
        self.zone = ZoneInfo(zone)
        self.zone_name = zone
        self.office = office

    @property
    def conn(self):
        """The calling thread's connection."""
        return self.db.conn

    def today(self) -> date:
        return datetime.now(self.zone).date()

    def _put(self, table: str, key: str, value: object) -> None:
        blob = seal_blob(self.key, json.dumps(value).encode(), f"{table}:{key}")
        with self.db.transaction() as conn:
            conn.execute(f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?)",
                         (key, datetime.now(self.zone).isoformat(), blob))

    def _get(self, table: str, key: str) -> object | None:
        column = "number" if table == "applications" else "day"
        row = self.conn.execute(f"SELECT sealed FROM {table} WHERE {column} = ?", (key,)).fetchone()
        return json.loads(open_blob(self.key, row["sealed"], f"{table}:{key}")) if row else None

    def sync_appointments(self) -> list[dict]:
        """Fetch today's appointments; raises ``CentralUnreachable`` when offline."""
        if self.link is None:
            raise CentralUnreachable()
        day = self.today()
        listing = self.link.appointments(day, self.zone_name, self.office)
        self._put("appointments", day.isoformat(), listing)
        for application in listing:
            self._put("applications", application["number"], application)
        return listing

    def appointments(self) -> tuple[list[dict], bool]:
        """Today's appointments and whether they are fresh (False: from the cache, offline)."""
        try:
            return self.sync_appointments(), True
        except CentralUnreachable:
            cached = self._get("appointments", self.today().isoformat())
            return (cached or []), False  # type: ignore[return-value]

    def lookup(self, number: str) -> dict:
        if self.link is not None:
            try:
                application = self.link.application(number)
                self._put("applications", number, application)
                with contextlib.suppress(CentralUnreachable):
                    self.sync_appointments()
                return application
            except CentralUnreachable:
                pass
        cached = self._get("applications", number)
        if cached is None:
            raise ApplicationError("application.unknown_offline" if self.link else "application.unknown",
                                   number=number)
        return cached  # type: ignore[return-value]

    def close(self) -> None:
        self.db.close()
