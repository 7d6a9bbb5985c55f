"""Reception and queues: the services a service point queues for, priority categories, tickets
with their immutable event log, counter sessions, appointments and ratings.

A ticket's display number ("A012") is separate from its id: the number comes from a counter row
per (queue service, local day), so it restarts every day at local midnight, while ids never
repeat. Every change of a ticket appends a `TicketEvent`; the ticket's own columns (status,
times, counter) are the current state, kept so that boards and reports read one row.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.organisation.models import Counter, ServicePoint


def new_secret() -> str:
    return secrets.token_urlsafe(12)


class PriorityCategory(models.Model):
    """A group of citizens served first (elderly, people with disabilities, pregnant women,
    people with young children...). The weight orders them; 0 is the ordinary walk-in."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, help_text=_("Higher is called first; walk-ins have 0.")
    )
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#b3261e",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("priority category")
        verbose_name_plural = _("priority categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class QueueService(models.Model):
    """What a service point queues citizens for, with its ticket prefix and number range."""

    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        on_delete=models.CASCADE,
        related_name="queue_services",
    )
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    prefix = models.CharField(
        _("ticket prefix"), max_length=3, validators=[RegexValidator(r"^[A-Z]{1,3}$")]
    )
    number_start = models.PositiveIntegerField(_("first number"), default=1)
    number_end = models.PositiveIntegerField(
        _("last number"), default=999, validators=[MaxValueValidator(99999)]
    )
    counters = models.ManyToManyField(
        Counter, through="CounterService", verbose_name=_("counters"), related_name="services"
    )
    appointment_capacity = models.PositiveSmallIntegerField(
        _("appointments per slot"),
        default=0,
        help_text=_("How many appointments each 30-minute slot takes; 0: no appointments."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue service")
        verbose_name_plural = _("queue services")
        ordering = ["service_point", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["service_point", "code"], name="one_queue_code"),
            models.UniqueConstraint(fields=["service_point", "prefix"], name="one_queue_prefix"),
            models.CheckConstraint(
                condition=models.Q(number_end__gt=models.F("number_start")),
                name="queue_number_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.name}"

    def display_number(self, sequence: int) -> str:
        """The sequence-th ticket of the day as shown: wraps within the number range."""
        span = self.number_end - self.number_start + 1
        number = self.number_start + (sequence - 1) % span
        return f"{self.prefix}{number:0{max(3, len(str(self.number_end)))}d}"


class CounterService(models.Model):
    """A counter serves a queue service, with a weight: a counter prefers its heavier services."""

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(QueueService, on_delete=models.CASCADE, related_name="+")
    weight = models.PositiveSmallIntegerField(_("weight"), default=1)

    class Meta:
        verbose_name = _("counter service")
        verbose_name_plural = _("counter services")
        constraints = [
            models.UniqueConstraint(fields=["counter", "service"], name="one_counter_service")
        ]

    def __str__(self) -> str:
        return f"{self.counter} → {self.service}"


class DailyTicketCounter(models.Model):
    """The last ticket number given by a queue service on one local day (a locked counter row)."""

    service = models.ForeignKey(QueueService, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "day"], name="one_ticket_counter_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.day}: {self.last}"


APPOINTMENT_SLOT = dt.timedelta(minutes=30)


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CANCELLED = "cancelled", _("Cancelled")

    service = models.ForeignKey(
        QueueService,
        verbose_name=_("service"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("slot"))
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20)
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    secret = models.CharField(max_length=32, default=new_secret, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    booked_at = models.DateTimeField(_("booked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["service", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.code} {self.starts_at:%Y-%m-%d %H:%M}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        SERVING = "serving", _("Being served")
        HELD = "held", _("On hold")
        FINISHED = "finished", _("Finished")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    service_point = models.ForeignKey(
        ServicePoint, verbose_name=_("service point"), on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        QueueService, verbose_name=_("service"), on_delete=models.PROTECT, related_name="tickets"
    )
    priority = models.ForeignKey(
        PriorityCategory,
        verbose_name=_("priority"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appointment = models.OneToOneField(
        Appointment,
        verbose_name=_("appointment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ticket",
    )
    day = models.DateField(_("day"))
    sequence = models.PositiveIntegerField(_("sequence of the day"))
    number = models.CharField(_("number"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    issued_at = models.DateTimeField(_("issued at"))
    # When the ticket joined its current queue (a transfer puts it at the back of another one).
    queued_at = models.DateTimeField(_("in the queue since"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counter = models.ForeignKey(
        Counter,
        verbose_name=_("counter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    calls = models.PositiveSmallIntegerField(_("calls"), default=0)
    dossier_code = models.CharField(_("dossier"), max_length=60, blank=True)
    secret = models.CharField(max_length=32, default=new_secret, editable=False)
    # The kiosk's one-time key: a double tap finds this ticket instead of issuing a second.
    # NULL, not "", without a key: a unique column admits many NULLs only.
    issue_key = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "day", "sequence"], name="one_ticket_number_a_day"
            )
        ]
        indexes = [
            models.Index(fields=["service_point", "day", "status"]),
            models.Index(fields=["service", "status", "queued_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.day})"


class TicketEvent(models.Model):
    """One step of a ticket's life. Appended, never edited."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("Issued")
        CALLED = "called", _("Called")
        RECALLED = "recalled", _("Called again")
        STARTED = "started", _("Service started")
        HELD = "held", _("Put on hold")
        TRANSFERRED = "transferred", _("Transferred")
        NO_SHOW = "no_show", _("Did not come")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        RATED = "rated", _("Rated")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    counter = models.ForeignKey(
        Counter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["ticket", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action}"


class CounterSession(models.Model):
    """An officer's turn at a counter: open (serving), paused with a reason, then closed."""

    counter = models.ForeignKey(
        Counter, verbose_name=_("counter"), on_delete=models.PROTECT, related_name="sessions"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        related_name="counter_sessions",
    )
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=200, blank=True)
    paused_seconds = models.PositiveIntegerField(_("time paused (s)"), default=0)

    class Meta:
        verbose_name = _("counter session")
        verbose_name_plural = _("counter sessions")
        ordering = ["-opened_at"]
        constraints = [
            # One open session per counter, and per officer.
            models.UniqueConstraint(
                fields=["counter"], condition=models.Q(closed_at=None), name="one_open_session"
            ),
            models.UniqueConstraint(
                fields=["officer"],
                condition=models.Q(closed_at=None),
                name="one_open_session_per_officer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counter} — {self.officer}"

    @property
    def state(self) -> str:
        if self.closed_at:
            return "closed"
        return "paused" if self.paused_since else "open"


class CounterPause(models.Model):
    """A pause of a counter session with its reason (a manager's metric)."""

    session = models.ForeignKey(CounterSession, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("to"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        verbose_name = _("counter pause")
        verbose_name_plural = _("counter pauses")
        ordering = ["session", "started_at"]

    def __str__(self) -> str:
        return f"{self.session_id} {self.reason}"


RATING_CRITERIA = {
    "attitude": _("Attitude"),
    "guidance": _("Clear guidance"),
    "speed": _("Speed"),
    "overall": _("Overall satisfaction"),
}


class Rating(models.Model):
    """The citizen's rating of one service (once per ticket), per officer and counter."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="rating")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    counter = models.ForeignKey(
        Counter, verbose_name=_("counter"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    scores = models.JSONField(
        _("scores"), help_text=_("Criterion → 1 (very poor) … 5 (very good).")
    )
    average = models.DecimalField(
        _("average"), max_digits=3, decimal_places=2, validators=[MinValueValidator(1)]
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-rated_at"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.average}"


class DailyQueueStat(models.Model):
    """One closed local day of one queue service and officer: the report's history. Written by
    the day-closing job after local midnight and never recomputed from tickets afterwards."""

    day = models.DateField(_("day"), db_index=True)
    service_point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(QueueService, on_delete=models.CASCADE, related_name="+")
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued = models.PositiveIntegerField(default=0)
    served = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    wait_seconds = models.PositiveBigIntegerField(default=0)
    max_wait_seconds = models.PositiveIntegerField(default=0)
    service_seconds = models.PositiveBigIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("daily queue statistic")
        verbose_name_plural = _("daily queue statistics")
        # Rows of a day are replaced whole by the day-closing job (one per service and
        # officer, and one without officer for tickets nobody called).
        indexes = [models.Index(fields=["service_point", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.service_id} {self.officer_id}"
