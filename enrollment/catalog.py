"""The one message catalog: every text a person reads, in Bahasa Indonesia and English.

The core never writes sentences; it returns message ids with parameters
(``device.unknown_scheme`` with ``url=...``), and the command line and the Qt windows
render them here, so a wording is fixed once for both languages and both front ends.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@cache
def messages(language: str) -> dict[str, str]:
    """All texts of one language, flattened to ``section.key`` ids."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    text = resources.files("enrollment.messages").joinpath(f"{language}.toml").read_text("utf-8")
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            else:
                flat[name] = str(value)

    walk("", tomllib.loads(text))
    return flat


class CatalogError(Exception):
    """An error a person reads: a catalog message id and its parameters, rendered by ``render_error``."""

    def __init__(self, message_id: str, **params: object) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


def render(message_id: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``message_id``; an id missing from the catalog shows itself, never crashes."""
    template = messages(language).get(message_id) or messages("en").get(message_id)
    if template is None:
        return message_id + (f" {params}" if params else "")
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def render_error(error: BaseException, language: str = DEFAULT_LANGUAGE) -> str:
    """Render any error that carries ``message_id``/``params``; others show their own text."""
    message_id = getattr(error, "message_id", None)
    if message_id:
        return render(message_id, language, **getattr(error, "params", {}))
    return str(error) or type(error).__name__
