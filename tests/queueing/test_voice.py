"""Voice announcements: what is said, the WAV the board plays, the cache, and failures."""

from __future__ import annotations

import math
import shutil
import subprocess
import wave
from array import array
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from motcua.queueing import voice

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/test installs it)"
)


@pytest.fixture(autouse=True)
def voice_dir(settings: Any, tmp_path: Path) -> Path:
    settings.MOTCUA_VOICE_DIR = tmp_path / "voice"
    return settings.MOTCUA_VOICE_DIR


@pytest.fixture
def espeak_runs(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    runs: list[list[str]] = []
    real_run: Callable[..., Any] = subprocess.run

    def counting_run(args: list[str], **kwargs: Any) -> Any:
        runs.append(args)
        return real_run(args, **kwargs)

    monkeypatch.setattr(voice.subprocess, "run", counting_run)
    return runs


def read_wav(path: Path) -> tuple[wave._wave_params, array[int]]:
    with wave.open(str(path), "rb") as file:
        params = file.getparams()
        samples = array("h", file.readframes(file.getnframes()))
    return params, samples


def tone_share(samples: array[int], rate: int, frequency: float) -> float:
    """The share of the samples' energy at one frequency (Goertzel): about 1 for a pure tone."""
    coefficient = 2 * math.cos(2 * math.pi * frequency / rate)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous**2 + before**2 - coefficient * previous * before
    return 2 * power / (len(samples) * sum(sample * sample for sample in samples))


def rms(samples: array[int]) -> float:
    return math.sqrt(sum(sample * sample for sample in samples) / len(samples))


@pytest.mark.parametrize(
    ("display_number", "counter_number", "expected"),
    [
        ("A012", 3, "Mời công dân số a, không, một, hai, đến quầy số ba"),
        ("B105", 12, "Mời công dân số bê, một, không, năm, đến quầy số mười hai"),
        ("C7", 1, "Mời công dân số xê, bảy, đến quầy số một"),
        ("DGY98640", 999, "Mời công dân số đê, giê, i dài, chín, tám, sáu, bốn, không, đến"),
    ],
)
def test_the_ticket_is_spelled_one_character_at_a_time(
    display_number: str, counter_number: int, expected: str
) -> None:
    assert voice.announcement_text(display_number, counter_number).startswith(expected)


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, "một"),
        (3, "ba"),
        (10, "mười"),
        (12, "mười hai"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (25, "hai mươi lăm"),
        (100, "một trăm"),
        (101, "một trăm linh một"),
        (105, "một trăm linh năm"),
        (110, "một trăm mười"),
        (115, "một trăm mười lăm"),
        (999, "chín trăm chín mươi chín"),
    ],
)
def test_the_counter_is_said_as_a_number(number: int, words: str) -> None:
    assert voice.announcement_text("A1", number).endswith(f"đến quầy số {words}")


def test_every_letter_has_its_own_name() -> None:
    assert sorted(voice.LETTERS) == [chr(code) for code in range(ord("A"), ord("Z") + 1)]
    assert len(set(voice.LETTERS.values())) == 26


@pytest.mark.parametrize(
    "display_number",
    ["", "A", "012", "a012", "ABCD1", "A123456", "A012\n", " A012", "A-12", "Ａ012", "A٠١٢"],
)
def test_a_malformed_ticket_is_refused(display_number: str) -> None:
    with pytest.raises(ValueError, match="ticket"):
        voice.announcement_text(display_number, 3)
    with pytest.raises(ValueError, match="ticket"):
        voice.announcement_wav(display_number, 3)


@pytest.mark.parametrize("counter_number", [0, -1, 1000])
def test_a_counter_out_of_range_is_refused(counter_number: int) -> None:
    with pytest.raises(ValueError, match="counter"):
        voice.announcement_wav("A012", counter_number)


@needs_espeak
def test_the_announcement_is_the_chime_a_silence_then_the_voice(tmp_path: Path) -> None:
    espeak_alone = tmp_path / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(espeak_alone), "xin chào"], check=True)
    with wave.open(str(espeak_alone), "rb") as file:
        espeak_rate = file.getframerate()

    params, samples = read_wav(voice.announcement_wav("A012", 3))

    assert (params.framerate, params.nchannels, params.sampwidth) == (espeak_rate, 1, 2)
    assert 1.5 < params.nframes / params.framerate < 8
    rate = params.framerate
    (first_frequency, _), (second_frequency, _) = voice.CHIME_TONES
    assert rms(samples[: round(0.3 * rate)]) > 1000
    # The first tone decays, which spreads its energy: measure its onset, where it is strongest.
    ding = samples[: round(0.1 * rate)]
    assert tone_share(ding, rate, first_frequency) > 0.5
    assert tone_share(ding, rate, second_frequency) < 0.1
    chime_end = round(rate * sum(seconds for _frequency, seconds in voice.CHIME_TONES))
    silence_end = chime_end + round(rate * voice.SILENCE_SECONDS)
    margin = round(0.005 * rate)  # each part's length is rounded to whole samples
    assert not any(samples[chime_end + margin : silence_end - margin])
    assert rms(samples[silence_end:]) > 1000


@needs_espeak
def test_a_call_is_rendered_once(espeak_runs: list[list[str]], voice_dir: Path) -> None:
    first = voice.announcement_wav("A012", 3)
    modified = first.stat().st_mtime_ns

    assert voice.announcement_wav("A012", 3) == first
    assert len(espeak_runs) == 1
    assert first.parent == voice_dir
    assert first.stat().st_mtime_ns == modified
    assert [path.name for path in voice_dir.iterdir()] == [first.name]  # no temporary left

    assert voice.announcement_wav("A012", 4) != first
    assert len(espeak_runs) == 2


@needs_espeak
def test_concurrent_renders_of_one_call_all_get_a_whole_file() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = set(pool.map(lambda _index: voice.announcement_wav("B105", 12), range(8)))

    assert len(paths) == 1
    params, samples = read_wav(paths.pop())
    assert len(samples) == params.nframes > 0


def test_without_espeak_the_voice_is_unavailable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, voice_dir: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    with pytest.raises(voice.VoiceUnavailable, match="espeak-ng"):
        voice.announcement_wav("A012", 3)
    assert list(voice_dir.iterdir()) == []


@needs_espeak
def test_a_failed_render_is_unavailable_and_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, voice_dir: Path
) -> None:
    monkeypatch.setattr(voice, "ESPEAK_OPTIONS", ("-v", "zz"))

    with pytest.raises(voice.VoiceUnavailable, match="voice does not exist"):
        voice.announcement_wav("A012", 3)
    assert list(voice_dir.iterdir()) == []


def test_the_chime_alone_needs_no_espeak(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, voice_dir: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))

    path = voice.chime_wav()

    assert path.parent == voice_dir
    assert voice.chime_wav() == path
    params, samples = read_wav(path)
    assert (params.framerate, params.nchannels, params.sampwidth) == (voice.CHIME_ONLY_RATE, 1, 2)
    seconds = sum(seconds for _frequency, seconds in voice.CHIME_TONES) + voice.SILENCE_SECONDS
    assert params.nframes == pytest.approx(seconds * params.framerate, abs=2)
    first_frequency = voice.CHIME_TONES[0][0]
    ding = samples[: round(0.1 * params.framerate)]
    assert tone_share(ding, params.framerate, first_frequency) > 0.5
