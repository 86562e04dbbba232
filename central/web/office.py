"""The back office at ``/office``: the central record's staff sign in, work the duplicate queue, read feedback.

Who may do what (DESIGN.md, "Who uses it"): an *adjudicator* works the queue of possible duplicates —
both records' photos and finger images side by side with the per-modality and fused scores — and
decides; an *admin* sets offices and capacity and reads the load and the applicants' feedback. The
queue's list (scores and application numbers, no biometrics) is open to both; an item's comparison
and its images only to adjudicators, since only they decide (no one sees biometrics they do not need);
the admin pages answer an adjudicator with a 403 page.

Sessions are rows of ``staff_sessions`` (``central.staff``): a random token in an HttpOnly,
SameSite=Strict cookie scoped to ``/office`` (Secure over https), idle and absolute expiry, log-out
deletes the row. Log-in is rate-limited per client on top of the account lockout. Every form carries
the browser-bound CSRF token (``forms.check_csrf``). URLs name queue items by their id only, never an
application number or a name (URLs end up in access logs); each image of an item has its own URL,
and each fetch of one is audited (``adjudication.item_file``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine, func, select

from .. import adjudication, db, staff
from ..store import CentralError, _aware, now_utc
from .forms import Rate, RateLimits, check_csrf
from .office_images import NotAnImage, face_png, feedback_chart, finger_png
from .pages import language, page

SESSION_COOKIE = "office_session"
PREFIX = "/office"
LOGIN_RATE = Rate(per_minute=10, burst=10)  # per client address, beside the account's own lockout
QUEUE_PAGE = 25
FEEDBACK_PAGE = 50
FEEDBACK_MONTHS = 24
IMAGE_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


def _when(value: str | datetime | None) -> str:
    """A stored time as staff read it: minutes, UTC said."""
    if value is None:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else _aware(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _fused(scores: dict) -> float | None:
    """The one fused score of an item: -log10 of a stranger's chance for a flag, the 1:1 fusion for a hold."""
    value = scores.get("score", scores.get("fused"))
    return float(f"{float(value):.4g}") if isinstance(value, (int, float)) else None  # 31.69, 0.003421


def _finger_rows(item: dict, sides: dict) -> list[dict]:
    """One row per finger position either record has: both images and the score that compared them.

    A flag's fingers are scored probe position → gallery position (a finger found again at another
    position says where); a held re-enrollment's by position.
    """
    scores = item["scores"]
    by_position: dict[int, dict] = {}
    for f in scores.get("fingers", []) if isinstance(scores.get("fingers"), list) else []:
        by_position[int(f["probe_position"])] = {"score": round(float(f["score"]), 4),
                                                  "found_at": int(f["gallery_position"])}
    for position, score in (scores.get("finger_scores") or {}).items():
        by_position[int(position)] = {"score": round(float(score), 4), "found_at": int(position)}
    names = {p: name for side in sides.values() for p, name in side["fingers"]}
    rows = []
    for position in sorted(names):
        found = by_position.get(position, {})
        rows.append({"position": position, "finger": names[position],
                     "new": any(p == position for p, _ in sides["new"]["fingers"]),
                     "earlier": any(p == position for p, _ in sides["earlier"]["fingers"]),
                     "score": found.get("score"),
                     "found_at": found.get("found_at") if found.get("found_at") != position else None})
    return rows


def _feedback_months(rows: list) -> list[tuple[date, float, int]]:
    """(first day of month, average stars, ratings) for each month that has ratings, oldest first."""
    months: dict[date, list[int]] = defaultdict(list)
    for at, stars in rows:
        moment = _aware(at)
        months[date(moment.year, moment.month, 1)].append(int(stars))
    return [(m, round(sum(s) / len(s), 2), len(s)) for m, s in sorted(months.items())]


class Gate:
    """Who a request comes from, and the answers for those who may not go on; shared by the back office's
    modules (``office_admin`` for the administrators' pages)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def member(self, request: Request) -> staff.StaffMember | None:
        """The signed-in staff member (the session's idle clock restarted), or None."""
        token = request.cookies.get(SESSION_COOKIE, "")
        return await run_in_threadpool(staff.session_member, self.engine, token) if token else None

    @staticmethod
    def to_login(request: Request) -> RedirectResponse:
        """Back to the log-in page; a cookie that no longer opens a session is cleared, and the page says so."""
        ended = bool(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse(f"{PREFIX}/login" + ("?ended=1" if ended else ""), status_code=303)
        if ended:
            response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    async def allowed(self, request: Request, role: str | None = None, picture: bool = False):
        """(member, None) for a signed-in staff member of ``role`` (any role for None), else (None, the
        answer to give instead): the log-in page or the 403 page, or for a ``picture`` a bare 401/403."""
        member = await self.member(request)
        if member is None:
            return None, Response(status_code=401, headers=IMAGE_HEADERS) if picture else self.to_login(request)
        if role is not None and member.role != role:
            refusal = Response(status_code=403, headers=IMAGE_HEADERS) if picture else self.forbidden(request, member)
            return None, refusal
        return member, None

    @staticmethod
    def forbidden(request: Request, member: staff.StaffMember) -> HTMLResponse:
        return page(request, "office/forbidden.html", status=403, member=member)

    @staticmethod
    def refused(request: Request, member: staff.StaffMember | None, status: int, message_id: str,
                **params: object) -> HTMLResponse:
        return page(request, "office/message.html", status=status, member=member, message_id=message_id,
                    params=params)


def register(app: FastAPI, engine: Engine) -> None:
    """The back office's routes on ``app``."""
    from . import office_admin

    limits = RateLimits({"office-login": LOGIN_RATE})
    gate = Gate(engine)
    signed_in, to_login, refused = gate.member, gate.to_login, gate.refused
    office_admin.register(app, engine, gate)

    # -- signing in and out ---------------------------------------------------------------------
    @app.get(f"{PREFIX}/login")
    async def login_form(request: Request, ended: int = 0, out: int = 0):
        return page(request, "office/login.html", member=None, ended=bool(ended), out=bool(out), name="")

    @app.post(f"{PREFIX}/login")
    async def login(request: Request):
        limits.check("office-login", request)
        form = await request.form()
        check_csrf(request, form)
        name, password = str(form.get("name", ""))[:100], str(form.get("password", ""))[:1024]
        try:
            member = await run_in_threadpool(staff.authenticate, engine, name, password)
        except CentralError as exc:
            return page(request, "office/login.html", status=exc.status, member=None, name=name,
                        error=exc.message_id, error_params=exc.params, ended=False, out=False)
        old = request.cookies.get(SESSION_COOKIE, "")
        if old:  # a browser signing in again leaves no second live session behind
            await run_in_threadpool(staff.end_session, engine, old)
        token = await run_in_threadpool(staff.start_session, engine, member)
        response = RedirectResponse(PREFIX, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", path=PREFIX,
                            secure=request.url.scheme == "https")
        return response

    @app.post(f"{PREFIX}/logout")
    async def logout(request: Request):
        form = await request.form()
        check_csrf(request, form)
        await run_in_threadpool(staff.end_session, engine, request.cookies.get(SESSION_COOKIE, ""))
        response = RedirectResponse(f"{PREFIX}/login?out=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    @app.get(PREFIX)
    async def home(request: Request):
        member = await signed_in(request)
        if member is None:
            return to_login(request)
        return RedirectResponse(f"{PREFIX}/{'queue' if member.role == 'adjudicator' else 'feedback'}",
                                status_code=303)

    # -- the duplicate queue --------------------------------------------------------------------
    @app.get(f"{PREFIX}/queue")
    async def queue(request: Request, state: str = "open", number: int = 1):
        member = await signed_in(request)
        if member is None:
            return to_login(request)
        state = state if state in ("open", "decided") else "open"
        number = max(1, number)
        found = await run_in_threadpool(adjudication.items, engine, state, QUEUE_PAGE, (number - 1) * QUEUE_PAGE)
        rows = [{"id": i["id"], "kind": i["kind"], "application": i["application"],
                 "other_application": i["other_application"], "created": _when(i["created_at"]),
                 "fused": _fused(i["scores"]), "modalities": i["scores"].get("modalities"),
                 "decision": i["decision"], "decided_by": i["decided_by"]} for i in found["items"]]
        pages = max(1, -(-found["total"] // QUEUE_PAGE))
        return page(request, "office/queue.html", member=member, section="queue", rows=rows, state=state,
                    total=found["total"], number=min(number, pages), pages=pages)

    @app.get(PREFIX + "/items/{item_id}")
    async def item_page(request: Request, item_id: int):
        member, refusal = await gate.allowed(request, "adjudicator")
        if refusal:
            return refusal
        try:
            shown = await run_in_threadpool(adjudication.item_sides, engine, item_id, member)
        except CentralError as exc:
            return refused(request, member, exc.status, exc.message_id, **exc.params)
        item, sides = shown["item"], shown["sides"]
        scores = item["scores"]
        return page(request, "office/item.html", member=member, section="queue", item=item, sides=sides,
                    created=_when(item["created_at"]), decided_at=_when(item["decided_at"]),
                    received={k: _when(s["received_at"]) for k, s in sides.items()},
                    fused=_fused(scores), fingers=_finger_rows(item, sides), decisions=adjudication.DECISIONS,
                    face_distance=scores.get("face_distance"), modalities=scores.get("modalities"),
                    probability=scores.get("probability"), gallery=scores.get("gallery"),
                    fpir=scores.get("fpir"), flagged=scores.get("flagged"))

    @app.post(PREFIX + "/items/{item_id}/decision")
    async def decision(request: Request, item_id: int):
        form = await request.form()
        check_csrf(request, form)
        member, refusal = await gate.allowed(request, "adjudicator")
        if refusal:
            return refusal
        try:
            await run_in_threadpool(adjudication.decide, engine, item_id, str(form.get("decision", "")), member)
        except CentralError as exc:
            return refused(request, member, exc.status, exc.message_id, **exc.params)
        return RedirectResponse(f"{PREFIX}/items/{item_id}", status_code=303)

    async def image(request: Request, item_id: int, side: str, position: int, convert) -> Response:
        """One picture of one side of an item, as PNG, for a signed-in adjudicator; the read is audited."""
        member, refusal = await gate.allowed(request, "adjudicator", picture=True)
        if refusal:
            return refusal
        try:
            stored = await run_in_threadpool(adjudication.item_file, engine, item_id, side, position, member)
            png = await run_in_threadpool(convert, stored)
        except CentralError as exc:
            return Response(status_code=exc.status, headers=IMAGE_HEADERS)
        except NotAnImage:
            return Response(status_code=422, headers=IMAGE_HEADERS)
        return Response(png, media_type="image/png", headers=IMAGE_HEADERS)

    @app.get(PREFIX + "/items/{item_id}/face/{side}.png")
    async def face_image(request: Request, item_id: int, side: str):
        return await image(request, item_id, side, 0, face_png)

    @app.get(PREFIX + "/items/{item_id}/fingers/{side}/{position}.png")
    async def finger_image(request: Request, item_id: int, side: str, position: int):
        if not 1 <= position <= 10:
            return Response(status_code=404, headers=IMAGE_HEADERS)
        return await image(request, item_id, side, position, finger_png)

    # -- the applicants' feedback (administrators) -------------------------------------------------
    def feedback_rows(number: int) -> tuple[list[dict], int, list[tuple[date, float, int]]]:
        t = db.feedback
        since = now_utc() - timedelta(days=31 * FEEDBACK_MONTHS)
        with engine.begin() as conn:
            total = conn.execute(select(func.count()).select_from(t)).scalar_one()
            rows = conn.execute(select(t).order_by(t.c.at.desc(), t.c.id.desc()).limit(FEEDBACK_PAGE)
                                .offset((number - 1) * FEEDBACK_PAGE)).all()
            ratings = conn.execute(select(t.c.at, t.c.stars).where(t.c.at >= since)).all()
        shown = [{"application": r.application, "stars": r.stars, "comment": r.comment, "at": _when(r.at)}
                 for r in rows]
        return shown, total, _feedback_months(ratings)

    @app.get(f"{PREFIX}/feedback")
    async def feedback(request: Request, number: int = 1):
        member, refusal = await gate.allowed(request, "admin")
        if refusal:
            return refusal
        number = max(1, number)
        rows, total, months = await run_in_threadpool(feedback_rows, number)
        pages = max(1, -(-total // FEEDBACK_PAGE))
        average = round(sum(a * n for _m, a, n in months) / sum(n for _m, _a, n in months), 2) if months else None
        return page(request, "office/feedback.html", member=member, section="feedback", rows=rows, total=total,
                    months=[(m.strftime("%Y-%m"), a, n) for m, a, n in months], average=average,
                    number=min(number, pages), pages=pages)

    @app.get(f"{PREFIX}/feedback/chart.png")
    async def feedback_chart_png(request: Request):
        member, refusal = await gate.allowed(request, "admin", picture=True)
        if refusal:
            return refusal
        _rows, _total, months = await run_in_threadpool(feedback_rows, 1)
        from domain.catalog import render

        lang = language(request)
        png = await run_in_threadpool(feedback_chart, months, render("office.chart_title", lang),
                                      render("office.chart_stars", lang), render("office.chart_count", lang))
        return Response(png, media_type="image/png", headers=IMAGE_HEADERS)

