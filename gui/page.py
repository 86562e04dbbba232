"""The base of the console's screens, in a module of its own so that a screen may live outside console.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from .console import Console


def keyed(text: str, key: str) -> str:
    """A button's text with its key beside it, so the keyboard route is learnt from the screen itself."""
    return f"{text}   [{key}]"


class Page(QWidget):
    """A screen of the console; ``retranslate`` re-reads every text when the language changes."""

    name = "page"

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.lang = console.lang

    def tr(self, message_id: str, **params: object) -> str:
        return self.lang.tr(message_id, **params)

    def retranslate(self) -> None:
        pass

    def entered(self) -> None:
        pass

    def keys(self) -> dict[Qt.Key, Callable[[], None]]:
        """The page's function keys and what each does; the window dispatches them wherever the focus is."""
        return {}
