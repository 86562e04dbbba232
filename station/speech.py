"""Spoken prompts for the kiosk, through Debian's espeak-ng: Qt-free, never blocking, never required.

The kiosk serves applicants who read slowly, badly or not at all, so each prompt it shows is
also spoken, in the language on the screen: espeak-ng's ``id`` voice for Bahasa Indonesia and
its ``en`` voice for English, slower than espeak-ng's default of 175 words a minute (older
listeners follow synthetic speech better around 135) and with a little more room between words.

How a prompt is spoken: ``Speaker.say`` only hands the text to the speaker's own thread and
returns, so a window's thread never waits for a process. That thread starts one espeak-ng per
prompt, feeds it the text on standard input (a text starting with ``-`` is never read as an
option) and waits for it at most as long as the text can take to say; a newer prompt kills the
one still speaking, since an instruction that is out of date is worse than none.

Without espeak-ng (not installed, or ``BIOSTATION_SPEECH_BINARY`` names a program that is not
there) ``available`` is False, ``say`` does nothing and the kiosk shows a note instead: every
prompt is on the screen anyway. ``BIOSTATION_SPEECH_BINARY=off`` turns speech off on purpose.
``BIOSTATION_SPEECH_DIR`` (or ``SpeechConfig.out_dir``) writes each prompt as a WAV file there
instead of playing it: a kiosk without a sound card, and a test, can still hear what was said.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("biostation.speech")

# espeak-ng's voice for each of the catalog's languages
VOICES = {"id": "id", "en": "en"}
ELDERLY_RATE_WPM = 135  # espeak-ng speaks 175 by default: too fast for many older listeners
WORD_GAP_10MS = 3  # a little extra silence between words, in espeak-ng's units of 10 ms
# the longest a prompt may take: espeak-ng needs well under 0.1 s a character at 135 words a
# minute, so this bound is never reached by a prompt that is playing normally
BASE_TIMEOUT_S = 5.0
TIMEOUT_S_PER_CHAR = 0.15
START_TIMEOUT_S = 2.0  # for writing the text to espeak-ng's standard input


@dataclass(frozen=True)
class SpeechConfig:
    """Which program speaks, how fast, and where (``out_dir``: WAV files there instead of the speakers)."""

    binary: str | None = "espeak-ng"  # a name looked up on PATH, a path, or None: no speech
    rate_wpm: int = ELDERLY_RATE_WPM
    word_gap: int = WORD_GAP_10MS
    out_dir: Path | None = None

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> SpeechConfig:
        """The kiosk's configuration: ``BIOSTATION_SPEECH_BINARY`` (``off`` for none), ``BIOSTATION_SPEECH_DIR``."""
        env = os.environ if environ is None else environ
        binary = env.get("BIOSTATION_SPEECH_BINARY", "espeak-ng").strip()
        out_dir = env.get("BIOSTATION_SPEECH_DIR", "").strip()
        return cls(binary=None if binary.lower() in ("", "off", "none") else binary,
                   out_dir=Path(out_dir) if out_dir else None)


def resolve_binary(binary: str | None) -> str | None:
    """The program's full path, or None when it is not there (so the kiosk says so once, up front)."""
    if not binary:
        return None
    if os.sep in binary:
        path = Path(binary)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return shutil.which(binary)


def voice_for(language: str) -> str:
    """espeak-ng's voice for a catalog language; an unknown language falls back to English."""
    return VOICES.get(language, VOICES["en"])


def timeout_for(text: str) -> float:
    """How long a prompt may take to say before it is killed: the bound on every utterance."""
    return BASE_TIMEOUT_S + TIMEOUT_S_PER_CHAR * len(text)


def command(binary: str, language: str, config: SpeechConfig, wav: Path | None = None,
            stdout: bool = False) -> list[str]:
    """The espeak-ng command line for one prompt; the text itself goes to its standard input."""
    args = [binary, "-v", voice_for(language), "-s", str(config.rate_wpm), "-g", str(config.word_gap), "-b", "1"]
    if wav is not None:
        args += ["-w", str(wav)]
    elif stdout:
        args.append("--stdout")
    return args


def synthesize(text: str, language: str, config: SpeechConfig | None = None) -> bytes:
    """The prompt as WAV bytes, blocking (bounded by ``timeout_for``): for checks and tests, not for a window."""
    config = config or SpeechConfig()
    binary = resolve_binary(config.binary)
    if binary is None:
        raise FileNotFoundError(f"no speech program {config.binary!r}")
    done = subprocess.run(command(binary, language, config, stdout=True), input=text.encode("utf-8"),
                          capture_output=True, timeout=timeout_for(text), check=True)
    return done.stdout


@dataclass
class Utterance:
    """One prompt handed to the speaker, and how it ended."""

    number: int
    text: str
    language: str
    wav: Path | None = None  # where it was written, with ``out_dir``
    outcome: str = "pending"  # "spoken", "interrupted" (a newer prompt), "timeout", "failed", "missing"
    detail: str = field(default="", repr=False)  # espeak-ng's complaint, when it failed


class Speaker:
    """Says one prompt at a time on its own thread; ``say`` returns at once, ``close`` ends it all."""

    def __init__(self, config: SpeechConfig | None = None) -> None:
        self.config = config or SpeechConfig.from_environment()
        self.binary = resolve_binary(self.config.binary)
        self.history: list[Utterance] = []  # every prompt that ended, in order
        self._cond = threading.Condition()
        self._pending: Utterance | None = None
        self._process: subprocess.Popen | None = None
        self._current: Utterance | None = None
        self._count = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        if self.config.out_dir is not None:
            self.config.out_dir.mkdir(parents=True, exist_ok=True)

    @property
    def available(self) -> bool:
        """False when espeak-ng is missing or turned off: the kiosk shows its note and stays silent."""
        return self.binary is not None

    @property
    def failed(self) -> bool:
        """The last prompt could not be played (no sound device, a broken voice): worth the same note."""
        with self._cond:
            ended = [u for u in self.history if u.outcome != "interrupted"]
        return bool(ended) and ended[-1].outcome in ("failed", "timeout")

    def say(self, text: str, language: str) -> Utterance | None:
        """Speak ``text`` in ``language`` instead of whatever is being said; returns without waiting."""
        text = text.strip()
        if not self.available or not text:
            return None
        with self._cond:
            if self._closed:
                return None
            self._count += 1
            wav = None if self.config.out_dir is None else self.config.out_dir / f"{self._count:04d}-{language}.wav"
            utterance = Utterance(self._count, text, language, wav)
            if self._pending is not None:  # never started: a newer prompt replaces it
                self._pending.outcome = "interrupted"
                self.history.append(self._pending)
            self._pending = utterance
            self._kill_current()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return utterance

    def stop(self) -> None:
        """Silence: what is being said is cut, what was waiting is dropped."""
        with self._cond:
            if self._pending is not None:
                self._pending.outcome = "interrupted"
                self.history.append(self._pending)
                self._pending = None
            self._kill_current()

    def idle(self) -> bool:
        """Nothing waiting and nothing being said (for a caller that wants to know, never to wait on)."""
        with self._cond:
            return self._pending is None and self._current is None

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop speaking and end the thread (waits at most ``timeout_s``)."""
        with self._cond:
            self._closed = True
        self.stop()
        with self._cond:
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _kill_current(self) -> None:
        """Called with the lock held: a kill is a signal, it does not wait."""
        if self._process is not None and self._process.poll() is None and self._current is not None:
            self._current.outcome = "interrupted"
            self._process.kill()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._pending is None:  # closed with nothing to say
                    return
                utterance, self._pending = self._pending, None
                self._current = utterance
            self._speak(utterance)
            with self._cond:
                self._current, self._process = None, None
                self.history.append(utterance)

    def _speak(self, utterance: Utterance) -> None:
        """One espeak-ng run, bounded by ``timeout_for``; its outcome is written on ``utterance``."""
        args = command(self.binary, utterance.language, self.config, wav=utterance.wav)
        try:
            process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
        except OSError as exc:  # removed since the kiosk started
            utterance.outcome, utterance.detail = "missing", str(exc)
            return
        with self._cond:
            self._process = process
            if self._pending is not None or self._closed:  # superseded while it started
                utterance.outcome = "interrupted"
                process.kill()
        try:
            _out, err = process.communicate(utterance.text.encode("utf-8"), timeout=timeout_for(utterance.text))
        except subprocess.TimeoutExpired:
            process.kill()
            _reap(process)
            utterance.outcome = "timeout"
            log.warning("speech: espeak-ng took too long and was stopped")
            return
        except OSError:  # killed before it read its text (a broken pipe)
            process.kill()
            _reap(process)
            err = b""
        if utterance.outcome == "interrupted":
            if utterance.wav is not None:
                utterance.wav.unlink(missing_ok=True)  # half a prompt is not a prompt
            return
        if process.returncode == 0:
            utterance.outcome = "spoken"
        else:
            utterance.outcome, utterance.detail = "failed", err.decode("utf-8", "replace")[-500:]
            log.warning("speech: espeak-ng failed (%s): %s", process.returncode, utterance.detail.strip()[-200:])


def _reap(process: subprocess.Popen) -> None:
    """Collect a killed espeak-ng, waiting at most ``START_TIMEOUT_S`` (a kill is not refused)."""
    try:
        process.communicate(timeout=START_TIMEOUT_S)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        log.warning("speech: espeak-ng did not end after it was stopped")
