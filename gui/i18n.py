"""The windows' language: the one message catalog, switched at any time.

The windows render texts exactly as the command line does (``domain.catalog.render``), so a
wording, a finger's name or a service's is fixed once for both front ends and both languages.
"""

from __future__ import annotations

from domain.catalog import LANGUAGES, render


class Language:
    """The window's current language; the views re-read their texts when it changes."""

    def __init__(self, language: str = "id") -> None:
        self.code = ""
        self.set(language)

    def set(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; known: {', '.join(LANGUAGES)}")
        self.code = language

    def tr(self, message_id: str, **params: object) -> str:
        return render(message_id, self.code, **params)
