"""The central record's HTTP API (FastAPI), served in-process by uvicorn.

Every station call except registration and packet delivery is a signed request
(``wire.sign_request``); a packet proves its origin by its own signature. Bodies are
read under a hard size limit before anything parses them, and every refusal is a
JSON ``{"error": message_id, "params": {...}}`` with a 4xx status (the station renders
it in its officer's language from the shared catalog), logged to the intake log when
it concerns a packet.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from datetime import date

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from . import store
from .duplicates import DuplicateIndex
from .wire import MAX_PACKET_BYTES, PacketError, b64, open_sealed, public_bytes, read_header, verify_request

log = logging.getLogger("biostation.central")
PACKET_TYPE = "application/vnd.biostation.packet"
MAX_JSON_BYTES = 64 * 1024


class BodyLimit:
    """ASGI middleware: refuse a body larger than ``limit`` bytes before the app reads it."""

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _too_large(send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)


class _TooLarge(Exception):
    pass


async def _too_large(send) -> None:
    body = json.dumps({"error": "central.too_large", "params": {}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _refusal(status: int, message_id: str, **params: object) -> JSONResponse:
    return JSONResponse({"error": message_id, "params": {k: str(v) for k, v in params.items()}},
                        status_code=status)


class Central:
    """The service's state: database, key, registered stations, the duplicate index."""

    def __init__(self, engine: Engine, production: bool = False) -> None:
        self.engine = engine
        self.production = production
        self.key = store.central_key(engine)
        self._stations = store.station_keys(engine)
        self._lock = threading.Lock()
        self.duplicates = DuplicateIndex()
        self._checks: queue.Queue = queue.Queue()
        threading.Thread(target=self._duplicate_worker, name="duplicate check", daemon=True).start()

    def _duplicate_worker(self) -> None:
        """Builds the 1:N galleries from stored records, then checks each new record in turn.

        Off the request path: a record is stored and acknowledged before anyone searches it,
        and a slow search never holds a station's delivery.
        """
        for _pid, manifest, files in store.all_records(self.engine):
            self.duplicates.add(manifest.get("application", ""), manifest, files)
        while True:
            application, opened = self._checks.get()
            _check_duplicates(self, application, opened)

    def queue_duplicate_check(self, application: str, opened) -> None:
        self._checks.put((application, opened))

    def station_key(self, station_id: str):
        key = self._stations.get(station_id)
        if key is None:  # registered by another process (the command line) since we started
            with self._lock:
                self._stations = store.station_keys(self.engine)
            key = self._stations.get(station_id)
        return key


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise store.CentralError(415, "central.wrong_content_type", expected="application/json")
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise store.CentralError(413, "central.too_large")
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise store.CentralError(400, "central.not_utf8") from exc
    except ValueError as exc:
        raise store.CentralError(400, "central.bad_json") from exc
    if not isinstance(value, dict):
        raise store.CentralError(400, "central.bad_json")
    return value


def create_app(engine: Engine, production: bool = False) -> FastAPI:
    central = Central(engine, production)
    app = FastAPI(title="Biostation central record", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.central = central

    @app.exception_handler(store.CentralError)
    async def _central_error(_request: Request, exc: store.CentralError):
        return _refusal(exc.status, exc.message_id, **exc.params)

    @app.exception_handler(PacketError)
    async def _packet_error(_request: Request, exc: PacketError):
        return _refusal(exc.status, exc.message_id, **exc.params)

    async def signed(request: Request) -> str:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            return verify_request(request.method, request.url.path, body, headers, central.station_key)
        except PacketError as exc:
            log.warning("request %s %s refused: %s", request.method, request.url.path, exc.message_id)
            store.log_intake(engine, "request_refused", headers.get("x-station-id"), None,
                             f"{exc.message_id} {request.method} {request.url.path}")
            raise

    @app.get("/health")
    async def health():
        return {"status": "ok", "production": central.production}

    @app.post("/api/v1/stations/register")
    async def register(request: Request):
        body = await _json_body(request)
        try:
            key = bytes.fromhex(str(body.get("public_key", "")))
        except ValueError as exc:
            raise store.CentralError(400, "central.bad_station_key") from exc
        station_id, name = store.register_station(engine, str(body.get("token", "")), key)
        central.station_key(station_id)
        log.info("station %s (%s) registered", station_id, name)
        return {"station_id": station_id, "name": name,
                "central_public_key": public_bytes(central.key.public_key()).hex(),
                "production": central.production}

    @app.get("/api/v1/appointments")
    async def appointments(request: Request, day: str, zone: str = "Asia/Jakarta"):
        await signed(request)
        try:
            when = date.fromisoformat(day)
            return {"appointments": store.appointments_on(engine, when, zone)}
        except (ValueError, KeyError) as exc:
            raise store.CentralError(400, "central.bad_query") from exc

    @app.get("/api/v1/applications/{number}")
    async def application(number: str, request: Request):
        await signed(request)
        return store.get_application(engine, number)

    @app.get("/api/v1/applications/{number}/templates")
    async def templates(number: str, request: Request):
        station = await signed(request)
        store.get_application(engine, number)
        found = store.latest_record(engine, number)
        if found is None:
            raise store.CentralError(404, "central.not_enrolled", number=number)
        manifest, files = found
        fingers = [{"position": f["position"], "iso19794_2": b64(files[f["template"]])}
                   for f in manifest.get("fingers", []) if f.get("template") in files]
        store.log_intake(engine, "templates_read", station, None, number)
        face = (manifest.get("face") or {}).get("embedding")
        return {"application": number, "face_embedding": face, "fingers": fingers}

    @app.post("/api/v1/feedback")
    async def feedback(request: Request):
        await signed(request)
        body = await _json_body(request)
        store.get_application(engine, str(body.get("application", "")))
        store.add_feedback(engine, str(body["application"]), body.get("stars"), body.get("comment", ""))
        return JSONResponse({"status": "stored"}, status_code=201)

    @app.get("/api/v1/packets/{packet_id}")
    async def packet_status(packet_id: str, request: Request):
        await signed(request)
        status = store.record_status(engine, packet_id)
        if status is None:
            raise store.CentralError(404, "central.no_packet", packet=packet_id)
        return {"packet_id": packet_id, "status": "stored", "record_status": status[0], "hold_reason": status[1]}

    @app.post("/api/v1/packets")
    async def packets(request: Request):
        if request.headers.get("content-type", "").split(";")[0].strip() != PACKET_TYPE:
            store.log_intake(engine, "refused", None, None, "wrong content type")
            raise store.CentralError(415, "central.wrong_content_type", expected=PACKET_TYPE)
        data = await request.body()
        result, opened = await run_in_threadpool(_take_in, central, data)
        if result.status == "stored":
            central.queue_duplicate_check(result.application, opened)
            # stored either way (201: the station's outbox may let it go); a held version is kept
            # for an adjudicator and does not replace the application's current one
            return JSONResponse({"status": "stored", "packet_id": result.packet_id,
                                 "record_status": result.record_status, "hold_reason": result.hold_reason},
                                status_code=201)
        return {"status": "already_received", "packet_id": result.packet_id}

    return app


def _take_in(central: Central, data: bytes):
    """Verify, decrypt, validate and store one packet (blocking: runs in the thread pool)."""
    station_id = packet_id = None
    try:
        header = read_header(data)
        station_id, packet_id = header.station_id, header.packet_id
        opened = open_sealed(data, central.key, central.station_key)
        result = store.intake(central.engine, opened, central.production)
    except PacketError as exc:
        log.warning("packet %s from station %s refused: %s", packet_id, station_id, exc.message_id)
        store.log_intake(central.engine, "refused", station_id, packet_id, exc.message_id)
        raise
    store.log_intake(central.engine, result.status, station_id, packet_id, result.application)
    return result, opened


def _check_duplicates(central: Central, application: str, opened) -> None:
    """After the record is safe: search it 1:N and flag; a failure here only logs."""
    manifest, files = opened.content.manifest, opened.content.files
    try:
        found = central.duplicates.check(application, manifest, files)
        store.add_flags(central.engine, opened.header.packet_id, found)
        central.duplicates.add(application, manifest, files)
        if found:
            log.warning("record %s: possible duplicates %s", opened.header.packet_id, found)
    except Exception:  # the record is stored and acknowledged whatever happens here
        log.exception("duplicate check failed for %s", opened.header.packet_id)


def serve(engine: Engine, host: str, port: int, production: bool = False) -> None:
    """Run in this process (no reload, no workers), so a killed server frees its port at once."""
    import uvicorn

    app = BodyLimit(create_app(engine, production), MAX_PACKET_BYTES)
    config = uvicorn.Config(app, host=host, port=port, workers=1, log_level="warning",
                            timeout_keep_alive=5, lifespan="off")
    uvicorn.Server(config).run()
