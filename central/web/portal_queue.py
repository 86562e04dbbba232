"""The station's queue: an office's bookings for one day, as the station API serves them.

``GET /api/v1/offices/appointments?day=YYYY-MM-DD&office=NAME`` is signed like every station call
(``central.wire.verify_request``). With no office named it answers for the office the station was
registered for (``station-token --office``), else for the default office, and while no office
exists at all, with every application of that day in the ``zone`` the station gives. The day is
the office's own (its zone), so a station and the portal agree on what "today" holds.
"""

from __future__ import annotations

import logging
from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from .. import offices, store
from ..wire import PacketError, verify_request

refusals = logging.getLogger("biostation.central.http")


async def _signed(request: Request) -> str:
    """The station that signed ``request`` (refused like the service's own signed calls otherwise)."""
    central = request.app.state.central
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        return verify_request(request.method, request.url.path, body, headers, central.station_key,
                              query=request.url.query, replays=getattr(central, "replays", None))
    except PacketError as exc:
        refusals.warning("request %s %s refused: %s (station id %r)", request.method, request.url.path,
                         exc.message_id, headers.get("x-station-id", "")[:64])
        raise


def routes(engine: Engine) -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/offices/appointments")
    async def office_appointments(request: Request, day: str, office: str = "", zone: str = "Asia/Jakarta"):
        station = await _signed(request)
        try:
            when = date.fromisoformat(day)
        except ValueError as exc:
            raise store.CentralError(400, "central.bad_query") from exc

        def listing() -> dict:
            own = None if office else store.station_office(engine, station)
            chosen = offices.get_office(engine, own) if own is not None else offices.office_named(engine, office)
            try:
                day_zone = chosen.timezone if chosen else offices.zone_name(zone)
            except store.CentralError as exc:
                raise store.CentralError(400, "central.bad_query") from exc
            return {"office": chosen.as_json() if chosen else None,
                    "appointments": store.appointments_on(engine, when, day_zone, chosen)}

        return await run_in_threadpool(listing)

    return router
