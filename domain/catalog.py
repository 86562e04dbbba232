"""The one message catalog: every text a person reads, in Bahasa Indonesia and English.

The core never writes sentences; it returns message ids with parameters
(``device.unknown_scheme`` with ``url=...``), and the command line and the Qt windows
render them here, so a wording is fixed once for both languages and both front ends.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from .errors import BiostationError

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@cache
def messages(language: str) -> dict[str, str]:
    """All texts of one language, flattened to ``section.key`` ids."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
    folder = resources.files("domain.messages")
    # <language>.toml, then each part's own file (``portal.en.toml``, ``kiosk.id.toml``), in name order
    parts = sorted(p.name for p in folder.iterdir() if p.name.endswith(f".{language}.toml"))
    flat: dict[str, str] = {}

    def walk(prefix: str, node: dict) -> None:
        for key, value in node.items():
            name = f"{prefix}.{key}" if prefix else key
            if isinstance(value, dict):
                walk(name, value)
            elif name in flat:  # two parts claiming one id: one of them would silently lose
                raise ValueError(f"message id {name!r} is defined twice for language {language!r}")
            else:
                flat[name] = str(value)

    for name in [f"{language}.toml", *parts]:
        walk("", tomllib.loads(folder.joinpath(name).read_text("utf-8")))
    return flat


# Parameters that name a thing are rendered in the reader's language too: a finger given as
# "right-thumb" (or a FingerPosition) reads "ibu jari kanan" in Indonesian, on every front end.
NAMED_PARAMETERS = {"finger": "name.finger", "other": "name.finger", "service": "name.service",
                    "step": "name.step", "reason": "name.reason", "kind": "name.device"}


def _named(key: str, value: object, table: dict[str, str], fallback: dict[str, str]) -> object:
    section = NAMED_PARAMETERS.get(key)
    if section is None:
        return value
    slug = getattr(value, "slug", value)
    if not isinstance(slug, str):
        return value
    name = f"{section}.{slug}"
    return table.get(name) or fallback.get(name) or value


def render(message_id: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``message_id``; an id missing from the catalog shows itself, never crashes."""
    table, fallback = messages(language), messages("en")
    template = table.get(message_id) or fallback.get(message_id)
    if template is None:
        return message_id + (f" {params}" if params else "")
    named = {k: _named(k, v, table, fallback) for k, v in params.items()}
    try:
        return template.format(**named)
    except (KeyError, IndexError, ValueError):
        return template


def render_error(error: BaseException, language: str = DEFAULT_LANGUAGE) -> str:
    """A ``BiostationError`` in the reader's language; anything else as the generic sentence."""
    if isinstance(error, BiostationError):
        return render(error.message_id, language, **error.params)
    return render("error.unexpected", language, detail=type(error).__name__)
