"""Rendering a page: the template, the reader's language, and the headers a public page needs.

The language is the ``lang`` cookie (``id`` until the reader taps English); every template gets
``t(message_id, **params)`` from the catalog, so a wording lives once for pages, console and CLI.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from domain.catalog import DEFAULT_LANGUAGE, LANGUAGES, render

from .forms import CSRF_COOKIE, CSRF_FIELD, browser_id, csrf_token

HERE = Path(__file__).parent
STATIC = HERE / "static"
LANGUAGE_COOKIE = "lang"

# Pages load scripts, styles and images from this site only (no inline script or style), are never
# framed, post forms only here; the answers hold personal data, so nothing is cached or referred.
PAGE_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}

# over TLS, browsers are told to come back over TLS only, for a year (not sent over plain HTTP, where
# an attacker could strip it anyway and a test or loopback server must stay reachable)
HSTS = "max-age=31536000"

environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                          trim_blocks=True, lstrip_blocks=True)


def language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def page(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    """``template`` rendered in the reader's language, with :data:`PAGE_HEADERS` and this browser's
    CSRF token as ``csrf_field`` (a hidden input every form includes)."""
    lang = language(request)

    def t(message_id: str, **params: object) -> str:
        return render(message_id, lang, **params)

    browser, new = browser_id(request)
    token = csrf_token(request.app.state.web_secret, browser)
    html = environment.get_template(template).render(request=request, lang=lang, t=t, csrf_field=CSRF_FIELD,
                                                     csrf_token=token, **context)
    response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
    if request.url.scheme == "https":  # served over TLS (``central serve --tls-cert``, or a proxy saying so)
        response.headers["strict-transport-security"] = HSTS
    if new:
        response.set_cookie(CSRF_COOKIE, browser, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
    return response
