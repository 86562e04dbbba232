"""The central record on the web: the applicant portal at ``/`` and the back office at ``/office``.

Server-rendered pages (Jinja2), Bahasa Indonesia first; every text comes from the one message
catalog (``domain/messages``). :func:`mount` adds both to the station API's FastAPI app, so
``central serve`` serves all three on one port.
"""

from __future__ import annotations

import secrets

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from domain.catalog import LANGUAGES

from . import office, portal
from .forms import FormRefused
from .pages import LANGUAGE_COOKIE, STATIC, page


def mount(app: FastAPI, engine: Engine) -> None:
    """The static files, the portal's routes and the back office's routes on ``app``."""
    app.state.web_secret = secrets.token_bytes(32)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    office.register(app, engine)  # the back office at /office (central/web/office.py)

    @app.get("/language/{chosen}")
    async def choose_language(chosen: str, request: Request, next: str = "/"):
        """Switch the pages' language and go back where the reader was (a path on this site only)."""
        back = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
        response = RedirectResponse(back, status_code=303)
        if chosen in LANGUAGES:
            response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax",
                                secure=request.url.scheme == "https", path="/")
        return response

    app.include_router(portal.routes(engine))

    @app.exception_handler(FormRefused)
    async def _refused(request: Request, exc: FormRefused):
        return page(request, "refused.html", status=exc.status, message_id=exc.message_id, params=exc.params)
