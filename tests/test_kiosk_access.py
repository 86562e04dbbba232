"""The kiosk for everyone: spoken prompts (real espeak-ng), large text, reading-order focus, names for a
screen reader; and the check that refuses a capture that is not a fingerprint, before any matching.

Everything is real: the Qt widgets (offscreen), espeak-ng writing WAV files (no sound card here), the
emulated sensor behind the unmodified pyfingerprint client, a central record on loopback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QWidget

from central import store
from central.db import connect
from domain.catalog import render
from drivers import open_scanner
from enrollment.policy import Policy
from enrollment.synthetic import sample_record
from gui.i18n import Language
from gui.kiosk import LARGE_FONT, Kiosk
from matching.workers import MatchingWorkers
from station.settings import load_settings
from station.speech import VOICES, Speaker, SpeechConfig, resolve_binary, synthesize
from station.station import Station
from station.verification import IdentityCheck

WAIT = 60_000
ESPEAK = shutil.which("espeak-ng")
SCREEN_W, SCREEN_H = 1366, 768


@pytest.fixture(scope="module")
def workers():
    with MatchingWorkers(1, warm=True) as pool:
        yield pool


@pytest.fixture
def enrolled(central, synthetic_fingers):
    """A registered station and one application enrolled with the generator's fingers (impression 1)."""
    engine = connect(central.db)
    number = store.add_application(engine, "Siti", "Rahayu", "1990-04-01", "passport")
    station = Station(load_settings())
    station.register(central.url, store.issue_token(engine, "kiosk 1"))
    station.submit(sample_record(station.applications().lookup(number), station.registration.station_id,
                                 synthetic_fingers))
    assert station.flush().delivered == 1
    yield station, number
    station.close()
    engine.dispose()


def empty_glass_first(synthetic_fingers: Path, folder: Path) -> Path:
    """The generator's fingers with the first impression of the first finger replaced by an empty sensor
    window (the emulator lays it for the first capture of the right thumb): an image with no minutiae."""
    shutil.copytree(synthetic_fingers, folder)
    first = sorted(folder.glob("*.png"))[0]
    gray = cv2.imread(str(first), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(first), np.full_like(gray, 255))
    return folder


def wavs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.wav"))


def is_wav(path: Path) -> bool:
    data = path.read_bytes()
    return len(data) > 1000 and data[:4] == b"RIFF" and data[8:12] == b"WAVE"


# -- speech ----------------------------------------------------------------------------------
def test_each_language_has_its_voice_and_real_audio():
    assert ESPEAK, "espeak-ng is installed by the Makefile's test-packages target"
    assert VOICES == {"id": "id", "en": "en"}
    for language in ("id", "en"):
        audio = synthesize(render("ui.kiosk_scan_or_type", language), language)
        assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE" and len(audio) > 10_000


def test_a_new_prompt_cuts_the_one_being_said(qtbot, tmp_path):
    speaker = Speaker(SpeechConfig(out_dir=tmp_path / "said"))
    # long enough that espeak-ng is still writing it when the next prompt comes
    long = speaker.say("Selamat datang di kantor imigrasi. " * 3000, "id")
    short = speaker.say("Look at the camera.", "en")
    qtbot.waitUntil(speaker.idle, timeout=WAIT)
    speaker.close()
    assert long.outcome == "interrupted" and not long.wav.exists()  # half a prompt is not kept
    assert short.outcome == "spoken" and is_wav(short.wav)
    assert [u.number for u in speaker.history] == [long.number, short.number]


def test_without_espeak_the_speaker_is_silent(tmp_path, monkeypatch):
    missing = Speaker(SpeechConfig(binary=str(tmp_path / "nowhere" / "espeak-ng")))
    assert not missing.available and missing.say("Selamat datang", "id") is None
    missing.close()
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without espeak-ng
    assert resolve_binary("espeak-ng") is None and not Speaker(SpeechConfig.from_environment()).available
    monkeypatch.setenv("BIOSTATION_SPEECH_BINARY", "off")
    assert SpeechConfig.from_environment().binary is None


# -- the kiosk ------------------------------------------------------------------------------
@pytest.mark.parametrize("speech", ["absent", "present"])
def test_kiosk_checks_in_refusing_an_empty_glass_with_or_without_espeak(
        qtbot, enrolled, synthetic_fingers, workers, tmp_path, monkeypatch, speech):
    station, number = enrolled
    monkeypatch.delenv("BIOSTATION_SPEECH_BINARY", raising=False)
    if speech == "absent":
        monkeypatch.setenv("PATH", str(tmp_path))  # espeak-ng is not on this kiosk's PATH
    else:
        monkeypatch.setenv("BIOSTATION_SPEECH_DIR", str(tmp_path / "said"))  # no sound card here: WAV files
    glass = empty_glass_first(synthetic_fingers, tmp_path / "glass")
    with open_scanner(f"zfm-sim:{glass}") as scanner:
        kiosk = Kiosk(station, Language("en"), None, scanner, workers)  # speech configured from the environment
        qtbot.addWidget(kiosk)
        kiosk.resize(SCREEN_W, SCREEN_H)
        kiosk.show()
        speaker = kiosk.speaker
        assert speaker.available is (speech == "present")
        if speech == "absent":
            assert kiosk.speech_note.isVisible() and "espeak-ng" in kiosk.speech_note.text()
            assert kiosk.speech_note.text() == render("kiosk_access.speech_missing", "en")
        else:
            assert not kiosk.speech_note.isVisible()
        home = kiosk.screens["home"]
        home.number.setText(number)
        home.go.click()
        verify = kiosk.screens["verify"]
        not_a_print = render("kiosk_access.not_a_print", "en", finger="right-thumb")
        # the empty glass is refused before any comparison, with what to do
        qtbot.waitUntil(lambda: verify.instruction.text() == not_a_print, timeout=WAIT)
        qtbot.waitUntil(lambda: kiosk.screen == "result", timeout=WAIT)
        refused, kept = kiosk.verification.finger_ratings
        assert refused.message_id == "kiosk_access.not_a_print" and not refused.compare and refused.quality == 0
        assert kept.compare and kiosk.result.finger_score is not None
        assert kiosk.result.decision == "match", kiosk.result
        assert any(e.action == "verify.not_a_print" for e in station.audit.entries())
        result = kiosk.screens["result"]
        verdict = f"{result.verdict.text()} {result.detail.text()}"
        if speech == "absent":
            assert kiosk.speech_note.isVisible() and speaker.history == []  # still said, on every screen
        else:
            # every prompt on the way was handed to espeak-ng as it appeared; the window never waited for it
            qtbot.waitUntil(lambda: speaker.idle() and speaker.history and speaker.history[-1].text == verdict,
                            timeout=WAIT)
            texts = [u.text for u in speaker.history]
            assert texts[0].startswith(render("ui.kiosk_welcome", "en"))
            assert render("sensor.place_finger", "en", finger="right-thumb") in texts
            assert not_a_print in texts
            spoken = [u for u in speaker.history if u.outcome == "spoken"]
            assert spoken[-1].text == verdict and all(is_wav(u.wav) for u in spoken)
            assert all(u.outcome in ("spoken", "interrupted") for u in speaker.history)
        kiosk.close()


def test_verify_refuses_an_empty_glass_before_matching(enrolled, synthetic_fingers, tmp_path):
    """What ``biostation verify`` runs (``IdentityCheck.run``), with no camera and no worker processes."""
    station, number = enrolled
    glass = empty_glass_first(synthetic_fingers, tmp_path / "glass")
    refusals = []
    with open_scanner(f"zfm-sim:{glass}") as scanner:
        check = IdentityCheck(station, Policy(), "counter", None, scanner)
        result = check.run(number, iter(()), on_refused=refusals.append)
    assert [r.message_id for r in refusals] == ["kiosk_access.not_a_print"]
    assert "Place your right thumb flat" in render(refusals[0].message_id, "en", **refusals[0].params)
    assert "ibu jari kanan" in render(refusals[0].message_id, "id", **refusals[0].params)
    assert result.decision == "match" and result.finger_nfiq2 > 0


def test_verify_never_compares_when_every_capture_is_an_empty_glass(enrolled, tmp_path):
    station, number = enrolled
    glass = tmp_path / "all-glass"
    glass.mkdir()
    for n in (1, 2):
        cv2.imwrite(str(glass / f"001_{n}.png"), np.full((360, 300), 255, np.uint8))
    refusals = []
    with open_scanner(f"zfm-sim:{glass}") as scanner:
        check = IdentityCheck(station, Policy(finger_attempts=2), "counter", None, scanner)
        result = check.run(number, iter(()), on_refused=refusals.append)
    assert [r.message_id for r in refusals] == ["kiosk_access.not_a_print"]  # then the attempts ran out
    assert result.finger_score is None and result.decision != "match"


def test_an_empty_glass_last_still_compares_the_best_print_before_it(enrolled, synthetic_fingers, tmp_path):
    """Two attempts: a real print under the gate (a strict office's NFIQ 2 minimum), then an empty glass."""
    station, number = enrolled
    folder = tmp_path / "then-glass"
    folder.mkdir()
    shutil.copy(synthetic_fingers / "001_2.png", folder / "001_1.png")
    cv2.imwrite(str(folder / "001_2.png"), np.full((360, 300), 255, np.uint8))
    refusals = []
    with open_scanner(f"zfm-sim:{folder}") as scanner:
        check = IdentityCheck(station, Policy(finger_attempts=2, finger_min_nfiq2=99), "counter", None, scanner)
        result = check.run(number, iter(()), on_refused=refusals.append)
    first, last = check.check.finger_ratings
    assert [r.message_id for r in refusals] == [first.message_id] and first.message_id.startswith("finger.poor")
    assert last.message_id == "kiosk_access.not_a_print" and last.exhausted and last.compare
    assert last.image is first.image and result.finger_nfiq2 == first.quality > 0
    assert result.decision == "match"


def test_kiosk_speaks_each_prompt_in_its_language(qtbot, enrolled, tmp_path):
    station, _number = enrolled
    said = tmp_path / "said"
    kiosk = Kiosk(station, Language("id"), None, None, None, speaker=Speaker(SpeechConfig(out_dir=said)))
    qtbot.addWidget(kiosk)
    kiosk.show()
    speaker = kiosk.speaker
    home = kiosk.screens["home"]
    welcome = f"{render('ui.kiosk_welcome', 'id')}. {render('ui.kiosk_scan_or_type', 'id')}"
    qtbot.waitUntil(lambda: [u.text for u in speaker.history] == [welcome], timeout=WAIT)
    home.language.click()  # the same prompt, said again in English
    qtbot.waitUntil(lambda: len(speaker.history) == 2, timeout=WAIT)
    home.number.setText("P000000000000")
    home.go.click()  # a number nobody registered: the message is the prompt now
    qtbot.waitUntil(lambda: len(speaker.history) == 3, timeout=WAIT)
    home.repeat.click()
    qtbot.waitUntil(lambda: len(speaker.history) == 4, timeout=WAIT)
    first, english, unknown, again = speaker.history
    assert (first.language, english.language) == ("id", "en")
    assert english.text == f"{render('ui.kiosk_welcome', 'en')}. {render('ui.kiosk_scan_or_type', 'en')}"
    assert unknown.text == again.text == render("ui.kiosk_not_found", "en")
    assert all(u.outcome == "spoken" and is_wav(u.wav) for u in speaker.history)
    assert [p.name for p in wavs(said)] == ["0001-id.wav", "0002-en.wav", "0003-en.wav", "0004-en.wav"]
    assert not kiosk.speech_note.isVisible()
    # the prompt is the label a screen reader reads: its accessible name is the words said
    prompt = home.prompt()
    assert QAccessible.queryAccessibleInterface(prompt).text(QAccessible.Text.Name) == unknown.text
    assert prompt.accessibleDescription() == render("kiosk_access.prompt_description", "en")
    kiosk.close()


# -- large text, focus order, names -----------------------------------------------------------
def _result(decision: str):
    from enrollment.verification import VerificationResult

    return VerificationResult(decision, 0.3, 60.0, 0.9, 0.5, "right-thumb")


def _not_clipped(window: QWidget, screen: QWidget) -> list[str]:
    """Every visible label, button and field of ``screen`` inside the window and at least as big as it needs."""
    problems = []
    area = window.rect()
    for widget in screen.findChildren(QWidget):
        if not widget.isVisible() or not isinstance(widget, QLabel | QPushButton | QLineEdit):
            continue
        top_left = widget.mapTo(window, widget.rect().topLeft())
        bottom_right = widget.mapTo(window, widget.rect().bottomRight())
        if not (area.contains(top_left) and area.contains(bottom_right)):
            problems.append(f"{type(widget).__name__} {widget.text()!r} outside the window")
        if isinstance(widget, QLabel) and widget.wordWrap():
            needed_w, needed_h = widget.minimumSizeHint().width(), widget.heightForWidth(widget.width())
        else:
            needed_w, needed_h = widget.minimumSizeHint().width(), widget.minimumSizeHint().height()
        if widget.width() < needed_w or widget.height() < needed_h:
            problems.append(f"{type(widget).__name__} {widget.text()!r} {widget.size().toTuple()} < "
                            f"{(needed_w, needed_h)}")
    return problems


def _fill(kiosk: Kiosk) -> None:
    """The longest texts each screen shows, so the layout is judged at its fullest."""
    home, verify = kiosk.screens["home"], kiosk.screens["verify"]
    home.message.setText(kiosk.lang.tr("ui.kiosk_not_found"))
    verify.instruction.setText(kiosk.lang.tr("kiosk_access.not_a_print", finger="left-little"))
    verify.progress.show()
    kiosk.result = _result("match")
    kiosk.screens["result"].show_result(kiosk.result)
    kiosk.screens["feedback"].thanks.setText(kiosk.lang.tr("ui.kiosk_thanks"))


@pytest.mark.parametrize("language", ["id", "en"])
def test_large_text_grows_everything_and_nothing_is_clipped_at_1366x768(qtbot, tmp_path, language):
    missing = SpeechConfig(binary=str(tmp_path / "no-espeak"))  # the note is on screen too: the worst case
    kiosk = Kiosk(None, Language(language), None, None, None, speaker=Speaker(missing))
    qtbot.addWidget(kiosk)
    kiosk.resize(SCREEN_W, SCREEN_H)
    kiosk.show()
    _fill(kiosk)
    home = kiosk.screens["home"]
    normal = {"title": home.title.font().pointSize(), "button": home.go.font().pointSize(),
              "field": home.number.font().pointSize(), "key height": home.keys[0].minimumSizeHint().height()}
    assert not home.text_size.isChecked() and home.text_size.text() == render("kiosk_access.larger_text", language)
    home.text_size.setFocus()
    QTest.keyClick(home.text_size, Qt.Key.Key_Space)  # reachable and usable from the keyboard
    assert kiosk.large_text and all(s.text_size.isChecked() for s in kiosk.screens.values())
    assert home.text_size.text() == render("kiosk_access.normal_text", language)
    large = {"title": home.title.font().pointSize(), "button": home.go.font().pointSize(),
             "field": home.number.font().pointSize(), "key height": home.keys[0].minimumSizeHint().height()}
    for what in normal:
        assert large[what] > normal[what], what
    assert large["title"] == round(normal["title"] * LARGE_FONT)
    for name, screen in kiosk.screens.items():
        kiosk.stack.setCurrentWidget(screen)
        kiosk.layout().activate()
        QApplication.processEvents()
        hint = kiosk.minimumSizeHint()
        assert hint.width() <= SCREEN_W and hint.height() <= SCREEN_H, (name, hint)
        assert kiosk.size().toTuple() == (SCREEN_W, SCREEN_H), name
        assert _not_clipped(kiosk, screen) == [], name
    # it persists: back home (the next screen, or after a visit) it is still large
    kiosk.go_home()
    assert kiosk.large_text and home.title.font().pointSize() == large["title"]
    kiosk.screens["verify"].text_size.click()  # any screen's button turns it off everywhere
    assert not kiosk.large_text and home.title.font().pointSize() == normal["title"]
    kiosk.close()


def _chain(start: QWidget, members: set[int], count: int) -> list[QWidget]:
    """The tab chain from ``start``, keeping only ``members``."""
    out, widget = [start], start
    for _ in range(500):
        widget = widget.nextInFocusChain()
        if widget is start or len(out) == count:
            break
        if id(widget) in members:
            out.append(widget)
    return out


def _reads_after(previous: QWidget, widget: QWidget, window: QWidget) -> bool:
    """``widget`` comes after ``previous`` reading a page: further along the same row, on a later line, or
    wholly to its right (the next column, which starts at its top)."""
    a = previous.mapTo(window, previous.rect().topLeft())
    b = widget.mapTo(window, widget.rect().topLeft())
    same_row = abs(b.y() - a.y()) < previous.height() // 2 and b.x() > a.x()
    below = b.y() >= a.y() + previous.height() // 2
    next_column = b.x() >= a.x() + previous.width()
    return same_row or below or next_column


@pytest.mark.parametrize("large", [False, True])
def test_tab_order_follows_reading_order_and_every_control_is_named(qtbot, tmp_path, large):
    kiosk = Kiosk(None, Language("en"), None, None, None, speaker=Speaker(SpeechConfig(binary=None)))
    qtbot.addWidget(kiosk)
    kiosk.resize(SCREEN_W, SCREEN_H)
    kiosk.show()
    kiosk.activateWindow()
    _fill(kiosk)
    kiosk.set_large_text(large)
    for name, screen in kiosk.screens.items():
        kiosk.stack.setCurrentWidget(screen)
        QApplication.processEvents()
        order = [w for w in screen.order() if w.isVisible()]
        assert order[:3] == [screen.language, screen.text_size, screen.repeat]
        assert _chain(order[0], {id(w) for w in order}, len(order)) == order, name
        for previous, widget in zip(order, order[1:], strict=False):
            assert _reads_after(previous, widget, kiosk), (name, previous.accessibleName(), widget.accessibleName())
        # pressing Tab walks the same way
        order[0].setFocus(Qt.FocusReason.TabFocusReason)
        visited = [QApplication.focusWidget()]
        for _ in order[1:]:
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            visited.append(QApplication.focusWidget())
        assert visited == order, name
        for widget in screen.findChildren(QWidget):
            if isinstance(widget, QPushButton | QLineEdit):
                assert widget.accessibleName() and widget.accessibleDescription(), (name, widget.text())
        assert screen.prompt().accessibleDescription()
    home = kiosk.screens["home"]
    assert [k.accessibleName() for k in home.keys[:1] + home.keys[-3:]] == [
        "Digit 1", "Letter P", "Digit 0", "Delete the last character"]
    assert home.number.accessibleName() == "Application number"
    kiosk.screens["home"].language.click()  # the names follow the language
    assert home.number.accessibleName() == "Nomor permohonan"
    assert kiosk.screens["feedback"].stars[2].accessibleName() == "3 dari 5 bintang"
    kiosk.close()
