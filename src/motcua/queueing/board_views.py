"""The display board of a service point: a public full-screen page for the waiting room's TV,
its state (an HTML fragment for the page, JSON for hardware boards) and the voice clips it plays.

Nothing here needs a login and nothing shows a name: numbers, counters and waiting counts only
(the same as the public `board.<point id>` live topic). The page re-fetches its state on each
live event and reads out each new call once (static/queueing/board.js).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_safe

from motcua.core.errors import NotFound
from motcua.core.ratelimits import limit_public
from motcua.organisation.models import ServicePoint
from motcua.queueing import selectors
from motcua.queueing import voice as voices
from motcua.queueing.models import QueueService, Ticket
from motcua.queueing.numbering import local_day
from motcua.workcalendar.engine import VN_TZ

# Browsers and proxies keep a clip this long: the words for a number at a counter never change
# (voice.VERSION is part of the file, not of the URL: a new voice shows within a day).
VOICE_CACHE_SECONDS = 86400


@require_safe
def display(request: HttpRequest, point: str) -> HttpResponse:
    """The board itself: the point's name, a clock, who is called to which counter, the latest
    calls and how many wait for each service."""
    limit_public(request, "board")
    service_point = selectors.public_point(point)
    context = _state_context(service_point)
    context |= {
        "point": service_point,
        "topic": f"board.{service_point.pk}",
        "state_url": reverse("queueing:board_state", args=[service_point.code]),
        # board.js puts the call's number and counter in place of "NUMBER-0".
        "voice_url": reverse("queueing:voice", args=["NUMBER", 0]),
        "chime_url": reverse("queueing:chime"),
    }
    response = render(request, "queueing/board/display.html", context)
    add_never_cache_headers(response)
    return response


@require_safe
def board_state(request: HttpRequest, point: str) -> HttpResponse:
    """What the board shows now: an HTML fragment for the page, or JSON for hardware boards
    (`Accept: application/json`): {"serving": [...], "recent": [...], "waiting": {...}}."""
    limit_public(request, "board")
    service_point = selectors.public_point(point)
    response: HttpResponse
    if _wants_json(request):
        state = selectors.board_state(service_point)
        response = JsonResponse(
            {"serving": state.serving, "recent": state.recent, "waiting": state.waiting}
        )
    else:
        response = render(request, "queueing/board/state.html", _state_context(service_point))
    patch_vary_headers(response, ["Accept"])
    add_never_cache_headers(response)
    return response


@require_safe
def voice(request: HttpRequest, number: str, counter: int) -> HttpResponseBase:
    """The chime and "Mời công dân số …, đến quầy số …" as WAV, for a call made today: a
    number that was not called to that counter today is not rendered (404), so the clip cache
    only ever holds real calls."""
    limit_public(request, "voice")
    try:
        voices.announcement_text(number, counter)  # ValueError on a malformed call
    except ValueError:
        raise NotFound() from None
    if not _called_today(number, counter):
        raise NotFound()
    try:
        path = voices.announcement_wav(number, counter)
    except voices.VoiceUnavailable as error:
        return _voice_unavailable(error)
    return _wav(path)


@require_safe
def chime(request: HttpRequest) -> HttpResponseBase:
    """The chime alone: the board plays it to unlock sound and to test the speakers."""
    return _wav(voices.chime_wav())


# Helpers ------------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _called_today(number: str, counter: int) -> bool:
    """Was `number` called to a counter numbered `counter` today (anywhere)? Looked up through
    the services with that prefix, so the (service, day, …) index answers it."""
    prefix = number.rstrip("0123456789")
    return Ticket.objects.filter(
        service__in=QueueService.objects.filter(prefix=prefix),
        day=local_day(timezone.now()),
        number=number,
        counter__number=counter,
    ).exists()


def _wav(path: Path) -> HttpResponse:
    # A clip is a few hundred kB: sent whole rather than streamed, since under ASGI a file
    # response's synchronous iterator is consumed through a thread anyway.
    response = HttpResponse(path.read_bytes(), content_type="audio/wav")
    response["Cache-Control"] = f"public, max-age={VOICE_CACHE_SECONDS}"
    return response


def _voice_unavailable(error: Exception) -> JsonResponse:
    return JsonResponse(
        {"error": "voice_unavailable", "detail": str(error), "fields": {}}, status=503
    )


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def _size(rows: int) -> str:
    """The layout of the serving rows (board.css): one column up to 5, then 2, 3 and 4."""
    if rows <= 5:
        return "few"
    if rows <= 10:
        return "many"
    return "lots" if rows <= 24 else "crowd"


def _state_context(point: ServicePoint) -> dict[str, Any]:
    """The board's state, ready for the template: the serving rows (with their status label),
    the recent calls (with the local time and the epoch milliseconds board.js compares with
    the server's clock, `now_ms`) and the waiting count of each service offered."""
    now = timezone.now()
    state = selectors.board_state(point, now)
    statuses = dict(Ticket.Status.choices)
    serving = [
        row | {"status_label": statuses.get(row["status"], row["status"])} for row in state.serving
    ]
    recent = [
        row | {"at_ms": _epoch_ms(row["at"]), "local": row["at"].astimezone(VN_TZ)}
        for row in state.recent
    ]
    waiting = [
        {"service": service, "count": state.waiting.get(service.prefix, 0)}
        for service in selectors.offered_services(point)
    ]
    return {
        "serving": serving,
        "serving_size": _size(len(serving)),
        "recent": recent,
        "waiting": waiting,
        "waiting_total": sum(state.waiting.values()),
        "now": now.astimezone(VN_TZ),
        "now_ms": _epoch_ms(now),
    }
