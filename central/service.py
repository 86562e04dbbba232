"""The central record's HTTP API (FastAPI), served in-process by uvicorn.

Every station call except registration and packet delivery is a signed request
(``wire.sign_request``); a packet proves its origin by its own signature. Bodies are
read under a hard size limit before anything parses them, and every refusal is a
JSON ``{"error": message_id, "params": {...}}`` with a 4xx status (the station renders
it in its officer's language from the shared catalog), logged to the intake log when
it concerns a packet.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import queue
import threading
import time
from datetime import date, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from . import adjudication, staff, store
from .keys import KeysError
from .wire import MAX_PACKET_BYTES, PacketError, b64, open_sealed, public_bytes, read_header, verify_request

log = logging.getLogger("biostation.central")
PERSONS_PER_WORKER = 50_000  # with no --workers: a gallery shard (a worker process) per this many persons
CATCH_UP_OVERLAP = timedelta(seconds=60)  # records committed late by another process are still seen
RETRY_S = 10
RETRY_QUEUED_S = 300  # a search that could not run is tried again after this long without new records
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
        seen, gone = 0, False

        async def limited():
            nonlocal seen, gone
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            elif message["type"] == "http.disconnect":
                gone = True
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send)
        except Exception:
            if not gone:
                raise
            # the client left (or was cut off as too slow, ``http_guard``) mid-request: no one to
            # answer, and not an error of ours to log with a traceback


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
    """The service's state: database, key, registered stations, the identification gallery."""

    def __init__(self, engine: Engine, production: bool = False, workers: int | None = None,
                 ray: str | None = None) -> None:
        self.engine = engine
        self.production = production
        self.key = store.central_key(engine)
        self._stations = store.station_keys(engine)
        self._lock = threading.Lock()
        self.workers = workers  # decided when the gallery is built, unless given
        self.ray = ray
        self.gallery = None  # shards.ShardedGallery, built by the search worker (the matching modules load there)
        self._seen_until: datetime | None = None
        self._searches: queue.Queue = queue.Queue()
        threading.Thread(target=self._search_worker, name="identification", daemon=True).start()

    def _entries(self, since: datetime | None = None, shard: int | None = None, known=lambda _packet: False):
        """(record id, application, biometrics) of the accepted records: the gallery's content (in
        ``shard`` only, if given; those ``known`` already left out before their templates are read)."""
        from .identification import biometrics
        from .shards import shard_of

        for record in store.all_records(self.engine, since=since, accepted_only=True):
            if (shard is None or shard_of(record.application, self.workers) == shard) and not known(record.packet_id):
                yield record.packet_id, record.application, biometrics(record.manifest, record.files)

    def _make_gallery(self):
        from .shards import ProcessShard, ShardedGallery

        if self.ray:
            from .ray_shards import ray_shard_maker

            make = ray_shard_maker(self.ray, self.workers)
        else:
            def make(_index: int):
                return ProcessShard()
        return ShardedGallery(self.workers, make, lambda index: self._entries(shard=index))

    def catch_up(self) -> None:
        """Add the accepted records stored since the last look (by this process or another on the same
        database), so a search sees every record taken in before it, wherever."""
        started = store.now_utc()
        since = None if self._seen_until is None else self._seen_until - CATCH_UP_OVERLAP
        self.gallery.add_many(self._entries(since, known=self.gallery.knows))
        self._seen_until = started

    def _search_worker(self) -> None:
        """Builds the gallery from the stored records, searches the records still queued, then each new one.

        Off the request path: a record is stored and acknowledged before anyone searches it, and a
        slow search never holds a station's delivery. A record whose search cannot run stays queued
        in the database (its status says so) and is searched again at the next quiet moment or start.
        """
        while self.gallery is None:
            try:
                if self.workers is None:  # one worker per PERSONS_PER_WORKER enrolled persons, up to the cores
                    persons = store.person_count(self.engine)
                    self.workers = max(1, min(os.cpu_count() or 1, -(-persons // PERSONS_PER_WORKER)))
                self.gallery = self._make_gallery()
                self.catch_up()
            except Exception:
                log.exception("the identification gallery cannot be built; trying again in %d s", RETRY_S)
                if self.gallery is not None:
                    self.gallery.close()
                    self.gallery = None
                time.sleep(RETRY_S)
        while True:
            for record in store.all_records(self.engine, queued_only=True):
                self.search(record.packet_id, record.application, record.status, record.manifest, record.files)
            try:  # new records as they come; every RETRY_QUEUED_S, whatever is still queued again
                while True:
                    self.search(*self._searches.get(timeout=RETRY_QUEUED_S))
            except queue.Empty:
                continue

    def queue_search(self, packet_id: str, application: str, status: str, manifest: dict, files: dict) -> None:
        self._searches.put((packet_id, application, status, manifest, files))

    def search(self, packet_id: str, application: str, status: str, manifest: dict, files: dict) -> None:
        """Search one stored record 1:N and queue what it flags (its own application and those linked to it
        are not candidates); the gallery takes it in with the next catch-up if it is current."""
        from .identification import biometrics

        try:
            self.catch_up()
            record = biometrics(manifest, files)
            excluded = {application} | adjudication.linked(self.engine, application)
            outcome = self.gallery.search(record, excluded)
            items = adjudication.queue_flags(self.engine, packet_id, application, outcome, self.gallery.fpir)
            store.searched(self.engine, packet_id, "searched", {
                "gallery": outcome.gallery, "flagged": len(outcome.flagged), "items": items,
                "unusable": list(outcome.unusable)})
            if outcome.flagged:
                log.warning("record %s: %d possible duplicate(s), queue items %s",
                            packet_id, len(outcome.flagged), items)
        except Exception as exc:  # the record is stored and acknowledged whatever happens here
            log.exception("identification search failed for %s", packet_id)
            try:
                store.searched(self.engine, packet_id, "queued", {"error": type(exc).__name__})
            except Exception:
                log.exception("cannot note the search status of %s", packet_id)

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


def create_app(engine: Engine, production: bool = False, workers: int | None = None,
               ray: str | None = None) -> FastAPI:
    central = Central(engine, production, workers, ray)
    app = FastAPI(title="Biostation central record", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.central = central

    @app.exception_handler(store.CentralError)
    async def _central_error(_request: Request, exc: store.CentralError):
        return _refusal(exc.status, exc.message_id, **exc.params)

    @app.exception_handler(KeysError)
    async def _keys_error(_request: Request, exc: KeysError):
        log.error("keys: %s", exc)
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

    async def staff_member(request: Request) -> staff.StaffMember:
        """The staff member a request's HTTP Basic credentials name (checked in the thread pool: argon2)."""
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        try:
            name, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            name, password = "", ""
        if scheme.lower() != "basic" or not name:
            raise store.CentralError(401, "auth.bad_credentials")
        return await run_in_threadpool(staff.authenticate, engine, name, password)

    @app.get("/api/v1/adjudication")
    async def adjudication_queue(request: Request, state: str = "open", limit: int = 50, offset: int = 0):
        await staff_member(request)
        return await run_in_threadpool(adjudication.items, engine, state, limit, offset)

    @app.get("/api/v1/adjudication/{item_id}")
    async def adjudication_item(item_id: int, request: Request):
        await staff_member(request)
        return await run_in_threadpool(adjudication.item, engine, item_id)

    @app.post("/api/v1/adjudication/{item_id}/decision")
    async def adjudication_decision(item_id: int, request: Request):
        member = await staff_member(request)
        body = await _json_body(request)
        return await run_in_threadpool(adjudication.decide, engine, item_id, str(body.get("decision", "")), member)

    @app.post("/api/v1/packets")
    async def packets(request: Request):
        if request.headers.get("content-type", "").split(";")[0].strip() != PACKET_TYPE:
            store.log_intake(engine, "refused", None, None, "wrong content type")
            raise store.CentralError(415, "central.wrong_content_type", expected=PACKET_TYPE)
        data = await request.body()
        result, opened = await run_in_threadpool(_take_in, central, data)
        if result.status == "stored":
            central.queue_search(result.packet_id, result.application, result.record_status,
                                 opened.content.manifest, opened.content.files)
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


def server_config(app, host: str, port: int, limits=None):
    """uvicorn's configuration for the central record: h11 with deadlines and a connection cap (``http_guard``)."""
    import uvicorn

    from .http_guard import Limits, guarded_protocol, quiet_floods

    limits = limits or Limits.for_this_process()
    config = uvicorn.Config(app, host=host, port=port, workers=1, log_level="warning", lifespan="off",
                            http=guarded_protocol(limits), timeout_keep_alive=5,
                            limit_concurrency=limits.max_connections + 1,
                            h11_max_incomplete_event_size=limits.max_head_bytes)
    quiet_floods()  # after uvicorn has configured its loggers
    return config


def serve(engine: Engine, host: str, port: int, production: bool = False, limits=None,
          workers: int | None = None, ray: str | None = None) -> None:
    """Run in this process (no reload, no HTTP workers), so a killed server frees its port at once; the
    gallery's shards live in ``workers`` worker processes, or in Ray actors when ``ray`` names a cluster."""
    import uvicorn

    app = BodyLimit(create_app(engine, production, workers, ray), MAX_PACKET_BYTES)
    uvicorn.Server(server_config(app, host, port, limits)).run()
