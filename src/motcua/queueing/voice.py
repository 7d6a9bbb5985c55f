"""Offline Vietnamese voice announcements for display boards: a chime, then "Mời công dân số …".

espeak-ng (Debian package `espeak-ng`, voice `vi`) renders the voice locally; no cloud TTS. Each
call is rendered once and cached as a WAV file that the board plays.

What is said is built here in words rather than left to espeak-ng, because its own readings are
wrong where it matters (checked with `espeak-ng -v vi --ipa`):
- it reads "A012" as "a không mười hai", so tickets are spelled one character at a time;
- it reads 15 as "mười năm" (it is "mười lăm"), so counter numbers are written in words;
- its letter names read I and Y both as "i", G with a non-Vietnamese [ð] and D with a plain [d],
  so letters are written as the names Vietnamese use when spelling codes ("đê" for D, as in
  "đê vê đê" for DVD; "giê" for G; "i ngắn" / "i dài" for I / Y).
The text is Vietnamese whatever the UI language, so it does not go through gettext.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

# Bump when the chime, the silence or the espeak-ng options change: it is part of the cache key.
VERSION = 1

# "Ding-dong": E5 then C5, each ringing out; seconds per tone.
CHIME_TONES = ((659.25, 0.35), (523.25, 0.65))
CHIME_PEAK = 0.4  # of full scale: about as loud as espeak-ng's voice, whose peaks reach full scale
SILENCE_SECONDS = 0.3
# The chime alone (no voice to match) is made at espeak-ng's own output rate, so that the board's
# preloaded chime is the same sound as the one in each call.
CHIME_ONLY_RATE = 22050

ESPEAK_OPTIONS = (
    "-v",
    "vi",
    "-s",
    "150",  # words a minute; the default 175 is hurried for a hall full of people
    "-b",
    "1",  # the text on stdin is UTF-8, whatever the server's locale
)
ESPEAK_TIMEOUT_SECONDS = 10  # a call renders in ~20 ms; this only stops a hung process

TICKET = re.compile(r"[A-Z]{1,3}[0-9]{1,5}")
MAX_COUNTER = 999

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
LETTERS = {
    "A": "a",
    "B": "bê",
    "C": "xê",
    "D": "đê",
    "E": "e",
    "F": "ép",
    "G": "giê",
    "H": "hát",
    "I": "i ngắn",
    "J": "di",  # "gi" as a word is only an onset to espeak-ng, which says [z] and no vowel
    "K": "ca",
    "L": "e lờ",
    "M": "em mờ",
    "N": "en nờ",
    "O": "o",
    "P": "pê",
    "Q": "quy",
    "R": "e rờ",
    "S": "ét",
    "T": "tê",
    "U": "u",
    "V": "vê",
    "W": "vê kép",
    "X": "ích",
    "Y": "i dài",
    "Z": "dét",
}
SPOKEN_CHARACTERS = LETTERS | {str(digit): word for digit, word in enumerate(DIGITS)}


class VoiceUnavailable(RuntimeError):
    """No voice can be rendered here; the board shows the call without it."""


def announcement_text(display_number: str, counter_number: int) -> str:
    """What is said for a call, e.g. "Mời công dân số a, không, một, hai, đến quầy số ba"."""
    if not TICKET.fullmatch(display_number):
        raise ValueError(f"not a ticket number: {display_number!r}")
    if not 1 <= counter_number <= MAX_COUNTER:
        raise ValueError(f"not a counter number: {counter_number!r}")
    # The commas make espeak-ng pause between characters, so "0, 1, 2" is not heard as "12".
    ticket = ", ".join(SPOKEN_CHARACTERS[character] for character in display_number)
    return f"Mời công dân số {ticket}, đến quầy số {number_words(counter_number)}"


def number_words(number: int) -> str:
    """1..999 in Vietnamese words: 15 "mười lăm", 21 "hai mươi mốt", 105 "một trăm linh năm"."""
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    words = []
    if hundreds:
        words += [DIGITS[hundreds], "trăm"]
        if not tens and units:
            words.append("linh")
    if tens == 1:
        words.append("mười")
    elif tens:
        words += [DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 5 and tens:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return " ".join(words)


def announcement_wav(display_number: str, counter_number: int) -> Path:
    """The chime, a short silence, then the voice; rendered on first use, then cached."""
    text = announcement_text(display_number, counter_number)
    key = hashlib.sha256(f"{VERSION}:{text}".encode()).hexdigest()[:32]
    path = _cache_dir() / f"{key}.wav"
    if not path.exists():
        rate, channels, voice = _render_voice(text)
        _write_atomically(path, rate, channels, _chime(rate, channels) + voice)
    return path


def chime_wav() -> Path:
    """The chime alone, for a board to preload or to test its speakers."""
    path = _cache_dir() / f"chime-{VERSION}.wav"
    if not path.exists():
        _write_atomically(path, CHIME_ONLY_RATE, 1, _chime(CHIME_ONLY_RATE, 1))
    return path


def _cache_dir() -> Path:
    directory = Path(getattr(settings, "MOTCUA_VOICE_DIR", settings.DATA_DIR / "voice"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _render_voice(text: str) -> tuple[int, int, bytes]:
    """espeak-ng's 16-bit PCM for the text: (frame rate, channels, frames)."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise VoiceUnavailable(
            _("Voice announcements need espeak-ng: install the Debian package “espeak-ng”.")
        )
    with tempfile.TemporaryDirectory(prefix="motcua-voice-") as scratch:
        output = Path(scratch) / "voice.wav"
        try:
            subprocess.run(  # noqa: S603  (no shell; the text goes to stdin and is built here)
                [binary, *ESPEAK_OPTIONS, "-w", str(output)],
                input=text.encode(),
                capture_output=True,
                check=True,
                timeout=ESPEAK_TIMEOUT_SECONDS,
            )
        except subprocess.CalledProcessError as error:
            raise _render_failed(error.stderr.decode(errors="replace").strip()) from error
        except subprocess.TimeoutExpired as error:
            raise _render_failed(f"no answer in {ESPEAK_TIMEOUT_SECONDS} s") from error
        with wave.open(str(output), "rb") as voice:
            if voice.getsampwidth() != 2:  # the chime is made as 16-bit samples
                raise _render_failed(f"{8 * voice.getsampwidth()}-bit output, not 16-bit")
            return voice.getframerate(), voice.getnchannels(), voice.readframes(voice.getnframes())


def _render_failed(reason: str) -> VoiceUnavailable:
    return VoiceUnavailable(
        _("espeak-ng could not render the announcement: %(reason)s") % {"reason": reason}
    )


def _chime(rate: int, channels: int) -> bytes:
    """The chime and the silence after it, as 16-bit little-endian PCM frames."""
    samples = array("h")
    for frequency, seconds in CHIME_TONES:
        for index in range(round(rate * seconds)):
            time = index / rate
            # A 5 ms attack avoids a click; the decay to e⁻⁵ makes each tone ring out like a bell.
            envelope = min(1.0, time / 0.005) * math.exp(-5 * time / seconds)
            # A little second harmonic makes it less of a test tone; 1.3 bounds the sum's peak.
            tone = math.sin(2 * math.pi * frequency * time)
            tone += 0.3 * math.sin(4 * math.pi * frequency * time)
            samples.append(round(32767 * CHIME_PEAK * envelope * tone / 1.3))
    samples.extend([0] * round(rate * SILENCE_SECONDS))
    frames = array("h", (sample for sample in samples for _channel in range(channels)))
    if sys.byteorder == "big":  # WAV is little-endian
        frames.byteswap()
    return frames.tobytes()


def _write_atomically(path: Path, rate: int, channels: int, frames: bytes) -> None:
    # Another process may render the same call at the same moment: each writes its own temporary
    # file and renames it into place, so a reader sees a whole file or none.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".wav.tmp")
    try:
        with os.fdopen(descriptor, "wb") as file, wave.open(file, "wb") as output:
            output.setnchannels(channels)
            output.setsampwidth(2)
            output.setframerate(rate)
            output.writeframes(frames)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
