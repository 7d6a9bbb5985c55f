from django.urls import path

from motcua.queueing import board_views, console_views, kiosk_views, views

app_name = "queueing"

urlpatterns = [
    # Public: the kiosk, the citizen's phone, appointments, the display board, the rating tablet
    path("kiosk/<slug:point>/", kiosk_views.kiosk, name="kiosk"),
    path("kiosk/<slug:point>/check-in", kiosk_views.check_in, name="check_in"),
    path("t/<str:secret>/", kiosk_views.follow, name="follow"),
    path("t/<str:secret>/print", kiosk_views.ticket_print, name="ticket_print"),
    path("t/<str:secret>/cancel", kiosk_views.follow_cancel, name="follow_cancel"),
    path("t/<str:secret>/rate", console_views.rate, name="rate"),
    path("book/<slug:point>/", kiosk_views.book, name="book"),
    path("bookings/<str:secret>/", kiosk_views.booking, name="booking"),
    path("display/<slug:point>/", board_views.display, name="display"),
    path("display/<slug:point>/state", board_views.board_state, name="board_state"),
    path("voice/chime.wav", board_views.chime, name="chime"),
    path("voice/<str:number>-<int:counter>.wav", board_views.voice, name="voice"),
    path("rate/<int:counter>/", console_views.rate_tablet, name="rate_tablet"),
    # Staff
    path("counters/", views.counters, name="counters"),
    path("counters/<int:counter>/", console_views.console, name="console"),
    path("counters/<int:counter>/<slug:action>", console_views.console_act, name="console_act"),
    path("live/", console_views.live, name="live"),
    path("live/<int:point>/", console_views.live_point, name="live_point"),
    path("reports/", console_views.reports, name="reports"),
]
