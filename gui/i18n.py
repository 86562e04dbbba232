"""Qt's translation system, fed from the one message catalog.

``gui/translations/biostation_<lang>.ts`` are generated from ``enrollment/messages/*.toml``
(``python -m gui.i18n`` writes them and compiles the ``.qm`` files with lrelease), so the
windows, the core and the command line say the same thing in the same words. The source
text of each entry is its message id: the core returns ids, the windows translate them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from PySide6.QtCore import QCoreApplication, QTranslator

from enrollment.catalog import LANGUAGES, messages, render

CONTEXT = "biostation"
FOLDER = Path(__file__).parent / "translations"


def ts_text(language: str) -> str:
    """The Qt Linguist source for one language, entries in catalog order."""
    entries = "".join(
        f"    <message>\n        <source>{escape(key)}</source>\n"
        f"        <translation>{escape(text)}</translation>\n    </message>\n"
        for key, text in sorted(messages(language).items()))
    return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
            f'<TS version="2.1" language="{language}">\n<context>\n    <name>{CONTEXT}</name>\n'
            f"{entries}</context>\n</TS>\n")


def build() -> list[Path]:
    """Write the .ts sources and compile them to .qm (run after editing the catalog)."""
    FOLDER.mkdir(exist_ok=True)
    lrelease = shutil.which("pyside6-lrelease") or str(Path(sys.executable).parent / "pyside6-lrelease")
    out = []
    for language in LANGUAGES:
        ts = FOLDER / f"biostation_{language}.ts"
        ts.write_text(ts_text(language), encoding="utf-8")
        qm = ts.with_suffix(".qm")
        subprocess.run([lrelease, "-silent", str(ts), "-qm", str(qm)], check=True)
        out += [ts, qm]
    return out


class Language:
    """The window's current language; switching reloads the translator and tells the views."""

    def __init__(self, language: str = "id") -> None:
        self.translator: QTranslator | None = None
        self.code = ""
        self.set(language)

    def set(self, language: str) -> None:
        app = QCoreApplication.instance()
        if self.translator is not None and app is not None:
            app.removeTranslator(self.translator)
        translator = QTranslator()
        if not translator.load(str(FOLDER / f"biostation_{language}.qm")):
            translator = None
        if translator is not None and app is not None:
            app.installTranslator(translator)
        self.translator = translator
        self.code = language

    def tr(self, message_id: str, **params: object) -> str:
        """Qt's translation of an id, formatted; the catalog itself if the .qm lacks it."""
        text = QCoreApplication.translate(CONTEXT, message_id) if self.translator is not None else message_id
        if text == message_id:
            return render(message_id, self.code, **params)
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text


if __name__ == "__main__":
    for path in build():
        print(path)
