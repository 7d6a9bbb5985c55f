"""The display board: the public page, its state (HTML fragment and JSON), the voice clips."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from motcua.queueing import services, voice
from motcua.queueing.models import Ticket
from tests.org import Org

pytestmark = pytest.mark.django_db

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="needs espeak-ng (scripts/test installs it)"
)
HALONG = "ttpvhcc-06688"


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def called(queue_org: Org) -> Ticket:
    """A001 called to counter 1; A002 and B001 waiting."""
    certification = queue_org.queue_services["chung-thuc"]  # type: ignore[attr-defined]
    first = services.issue_ticket(service=certification)
    services.issue_ticket(service=certification)
    services.issue_ticket(service=queue_org.queue_services["ho-tich"])  # type: ignore[attr-defined]
    counter = queue_org.counters[0]  # type: ignore[attr-defined]
    officer = queue_org.users["counter_halong"]
    services.open_counter(counter=counter, actor=officer)
    ticket = services.call_next(counter=counter, actor=officer)
    assert ticket is not None
    assert ticket.pk == first.pk
    assert ticket.number == "A001"
    return ticket


def display_url(code: str = HALONG) -> str:
    return reverse("queueing:display", args=[code])


def state_url(code: str = HALONG) -> str:
    return reverse("queueing:board_state", args=[code])


def test_the_board_shows_calls_and_waiting_counts_without_a_login(
    queue_org: Org, called: Ticket
) -> None:
    response = Client().get(display_url())
    assert response.status_code == 200
    html = response.content.decode()
    point = queue_org.points["halong"]
    assert point.name in html
    assert f'data-live-topic="board.{point.pk}"' in html
    # One row per counter with its called number; the call is also among the recent ones.
    assert re.search(
        r'<li class="board-row board-row-called" data-counter="1" data-number="A001"', html
    )
    assert re.search(r'<li data-number="A001" data-counter="1" data-at="\d+">', html)
    # Waiting per service offered, with its name: A002 and B001 wait, nobody for C.
    assert re.search(
        r'data-prefix="A" data-waiting="1">\s*<span[^>]*>A</span>\s*'
        r'<span class="board-waiting-name">Chứng thực',
        html,
    )
    assert 'data-prefix="B" data-waiting="1"' in html
    assert 'data-prefix="C" data-waiting="0"' in html
    assert 'data-total="2"' in html
    # What board.js needs; no staff chrome; nothing inline (the CSP forbids it).
    assert f'data-state-url="{state_url()}"' in html
    assert 'data-voice-url="/queue/voice/NUMBER-0.wav"' in html
    assert 'data-chime-url="/queue/voice/chime.wav"' in html
    assert 'id="board-sound"' in html
    assert 'id="board-audio"' in html
    assert "queueing/board.js" in html
    assert "queueing/board.css" in html
    assert "site-header" not in html
    assert reverse("core:login") not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert " on" + "click=" not in html
    assert "no-cache" in response["Cache-Control"]


def test_the_board_follows_the_calls(queue_org: Org, called: Ticket) -> None:
    counter2 = queue_org.counters[1]  # type: ignore[attr-defined]
    manager = queue_org.users["manager_halong"]
    services.open_counter(counter=counter2, actor=manager)
    services.call_next(counter=counter2, actor=manager)  # counter 2 prefers B: B001
    html = Client().get(state_url()).content.decode()
    rows = re.findall(r'class="board-row [^"]*" data-counter="(\d+)" data-number="(\w+)"', html)
    assert rows == [("1", "A001"), ("2", "B001")]
    recent = re.findall(r'<li data-number="(\w+)" data-counter="(\d+)"', html)
    assert recent == [("B001", "2"), ("A001", "1")]  # newest first


def test_the_state_fragment_is_html_for_the_page(queue_org: Org, called: Ticket) -> None:
    response = Client().get(state_url())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="board-state" data-now="')
    assert "<html" not in html
    assert "<script" not in html
    assert 'data-number="A001"' in html
    assert "Accept" in response["Vary"]
    assert "no-cache" in response["Cache-Control"]


def test_the_state_is_json_for_hardware_boards(queue_org: Org, called: Ticket) -> None:
    response = Client().get(state_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    state = response.json()
    assert set(state) == {"serving", "recent", "waiting"}
    assert state["serving"] == [{"number": "A001", "counter": 1, "status": "called"}]
    [recent] = state["recent"]
    assert recent["number"] == "A001"
    assert recent["counter"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)", recent["at"])
    assert state["waiting"] == {"A": 1, "B": 1}


def test_a_point_without_queue_services_still_has_a_board(queue_org: Org) -> None:
    point = queue_org.points["baichay"]
    response = Client().get(display_url(point.code))
    assert response.status_code == 200
    html = response.content.decode()
    assert point.name in html
    assert '<p id="board-serving" class="board-empty">' in html
    assert '<p id="board-recent" class="board-empty">' in html
    assert '<p id="board-waiting" class="board-empty">' in html
    json = Client().get(state_url(point.code), HTTP_ACCEPT="application/json").json()
    assert json == {"serving": [], "recent": [], "waiting": {}}


def test_an_unknown_or_closed_point_has_no_board(queue_org: Org) -> None:
    client = Client()
    assert client.get(display_url("no-such-point")).status_code == 404
    assert client.get(state_url("no-such-point")).status_code == 404
    point = queue_org.points["halong"]
    point.active = False
    point.save()
    assert client.get(display_url()).status_code == 404


@override_settings(PUBLIC_RATE="3/m")
def test_the_board_is_rate_limited(queue_org: Org) -> None:
    client = Client(REMOTE_ADDR="10.9.9.9")
    assert client.get(display_url()).status_code == 200
    for _ in range(2):
        assert client.get(state_url()).status_code == 200
    assert client.get(state_url()).status_code == 429
    # Another address has its own allowance.
    assert Client(REMOTE_ADDR="10.9.9.10").get(state_url()).status_code == 200


@needs_espeak
def test_the_voice_of_a_call_is_a_cacheable_wav(called: Ticket) -> None:
    response = Client().get(reverse("queueing:voice", args=["A001", 1]))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Cache-Control"] == "public, max-age=86400"
    body = response.content
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"WAVE"
    assert body == voice.announcement_wav("A001", 1).read_bytes()


def test_the_chime_is_a_cacheable_wav(queue_org: Org) -> None:
    response = Client().get(reverse("queueing:chime"))
    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert response["Cache-Control"] == "public, max-age=86400"
    body = response.content
    assert body[:4] == b"RIFF"
    assert body[8:12] == b"WAVE"


@pytest.mark.parametrize(
    ("number", "counter"),
    [
        ("a001", 1),  # not a ticket number
        ("A0010000", 1),  # too long
        ("A001", 0),  # no counter 0
        ("A001", 1000),
        ("A002", 1),  # waiting, not called
        ("A001", 2),  # called to counter 1, not 2
        ("C001", 1),  # never issued
    ],
)
def test_only_calls_made_today_are_voiced(called: Ticket, number: str, counter: int) -> None:
    response = Client().get(reverse("queueing:voice", args=[number, counter]))
    assert response.status_code == 404


def test_yesterdays_call_is_not_voiced(called: Ticket) -> None:
    Ticket.objects.filter(pk=called.pk).update(day=called.day.replace(year=called.day.year - 1))
    assert Client().get(reverse("queueing:voice", args=["A001", 1])).status_code == 404


def test_without_espeak_the_voice_is_unavailable(
    called: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(number: str, counter: int) -> Any:
        raise voice.VoiceUnavailable("Voice announcements need espeak-ng.")

    monkeypatch.setattr(voice, "announcement_wav", unavailable)
    response = Client().get(reverse("queueing:voice", args=["A001", 1]))
    assert response.status_code == 503
    assert response.json() == {
        "error": "voice_unavailable",
        "detail": "Voice announcements need espeak-ng.",
        "fields": {},
    }
