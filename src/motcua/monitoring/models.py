"""Monitoring: the rollups the dashboards read, the service-quality index as data, and OKRs.

Rollups are kept incrementally: every change of a dossier re-derives what it contributes to
them (`contribution.of`) and applies the difference to the rows (`tracking.track`), in the
transaction of the change. `TrackedDossier.applied` is what a dossier contributes now, so the
next change knows what to take away. Queue figures come from the queue app's own day rollup
(`queueing.DailyQueueStat`) and today's tickets.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.organisation.models import Agency, Commune, ServicePoint


def _counter(label: Any) -> models.IntegerField:
    # A database default too: the upserts insert only the counters they change.
    return models.IntegerField(label, default=0, db_default=0)


class UnitDay(models.Model):
    """One local day of the dossiers of one commune, competent agency and receiving point.

    A dossier counts on the day each thing happened to it: filed (by channel, with its
    documents), received, finished (early, on time, late) or stopped, its result issued and
    signed, its fee paid, its TT 01/2018 evaluation.
    """

    day = models.DateField(_("day"))
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    service_point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="+")

    filed_online = _counter(_("filed online"))
    filed_counter = _counter(_("filed at the counter"))
    filed_post = _counter(_("filed by post"))
    filed_api = _counter(_("filed through the API"))
    received = _counter(_("received"))
    refused = _counter(_("refused at receipt"))
    finished_early = _counter(_("finished early"))
    finished_on_time = _counter(_("finished on time"))
    finished_late = _counter(_("finished late"))
    stopped = _counter(_("stopped"))
    documents = _counter(_("documents submitted"))
    documents_digitised = _counter(_("documents digitised"))
    documents_reused = _counter(_("documents reused or replaced by shared data"))
    results = _counter(_("results issued"))
    results_signed = _counter(_("results signed electronically"))
    payments = _counter(_("fees paid"))
    payments_online = _counter(_("fees paid online"))
    evaluated = _counter(_("dossiers evaluated"))
    eval_total_time = _counter(_("index 1 points"))
    eval_agency_time = _counter(_("index 2 points"))
    eval_contacts = _counter(_("index 3 points"))
    eval_places = _counter(_("index 4 points"))

    class Meta:
        verbose_name = _("unit day rollup")
        verbose_name_plural = _("unit day rollups")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "commune", "agency", "service_point"], name="one_unit_day"
            )
        ]
        indexes = [
            models.Index(fields=["commune", "day"]),
            models.Index(fields=["agency", "day"]),
            models.Index(fields=["service_point", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.commune_id}/{self.agency_id}/{self.service_point_id}"


class UnitStock(models.Model):
    """The dossiers one commune, competent agency and receiving point hold now."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    service_point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="+")

    awaiting_receipt = _counter(_("awaiting receipt"))
    in_progress = _counter(_("in progress"))
    waiting_applicant = _counter(_("waiting for the applicant"))
    overdue = _counter(_("overdue"))

    class Meta:
        verbose_name = _("unit stock")
        verbose_name_plural = _("unit stocks")
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "agency", "service_point"], name="one_unit_stock"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.agency_id}/{self.service_point_id}"


class OfficerDay(models.Model):
    """One local day of one officer's work on dossiers at one agency."""

    day = models.DateField(_("day"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")

    received = _counter(_("dossiers received"))
    steps_done = _counter(_("steps done"))
    steps_early = _counter(_("steps done early"))
    steps_on_time = _counter(_("steps done on time"))
    steps_late = _counter(_("steps done late"))
    evaluated = _counter(_("dossiers evaluated"))
    eval_points = _counter(_("evaluation points (indices 1–4)"))

    class Meta:
        verbose_name = _("officer day rollup")
        verbose_name_plural = _("officer day rollups")
        constraints = [
            models.UniqueConstraint(fields=["day", "officer", "agency"], name="one_officer_day")
        ]
        indexes = [models.Index(fields=["officer", "day"]), models.Index(fields=["agency", "day"])]

    def __str__(self) -> str:
        return f"{self.day} {self.officer_id}@{self.agency_id}"


class TrackedDossier(models.Model):
    """What one dossier contributes to the rollups now (`contribution.of`, serialised)."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    applied = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("tracked dossier")
        verbose_name_plural = _("tracked dossiers")

    def __str__(self) -> str:
        return str(self.dossier_id)


# The service-quality index (QĐ 766/QĐ-TTg) --------------------------------------------------


class IndexGroup(models.Model):
    """One of the index's groups, with its maximum points."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    max_points = models.DecimalField(_("maximum points"), max_digits=5, decimal_places=2)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("index group")
        verbose_name_plural = _("index groups")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class IndexIndicator(models.Model):
    """A sub-indicator: a formula over the unit's KPIs giving a rate from 0 to 1, scored as
    that share of its points. An indicator with no data in a period (a rate over nothing)
    scores its points in full when `full_when_empty`, else nothing."""

    group = models.ForeignKey(
        IndexGroup, verbose_name=_("group"), on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    formula = models.CharField(
        _("formula"),
        max_length=500,
        help_text=_(
            "An arithmetic expression over the KPI names (see the list below), giving a rate "
            "from 0 to 1, e.g. (finished_early + finished_on_time) / finished."
        ),
    )
    points = models.DecimalField(_("points"), max_digits=5, decimal_places=2)
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_(
            "The official formula was not found (DOMAIN.md): this one is the province's "
            "reading until it is confirmed."
        ),
    )
    full_when_empty = models.BooleanField(_("full points when there is no data"), default=False)
    source = models.CharField(_("source"), max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("index indicator")
        verbose_name_plural = _("index indicators")
        ordering = ["group__order", "order", "code"]

    def __str__(self) -> str:
        return self.name


class IndexBand(models.Model):
    """A band of the total score: the lowest score it starts at, and its name."""

    minimum = models.DecimalField(_("from score"), max_digits=5, decimal_places=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    colour = models.CharField(_("colour"), max_length=7, default="#1f6f43")

    class Meta:
        verbose_name = _("index band")
        verbose_name_plural = _("index bands")
        ordering = ["-minimum"]

    def __str__(self) -> str:
        return f"≥ {self.minimum}: {self.name}"


# OKRs --------------------------------------------------------------------------------------


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    COMMUNE = "commune", _("Commune")
    AGENCY = "agency", _("Agency")
    SERVICE_POINT = "service_point", _("Service point")


class Objective(models.Model):
    """An objective of one unit for a period, measured by its key results."""

    unit_kind = models.CharField(_("unit kind"), max_length=20, choices=UnitKind.choices)
    unit_key = models.CharField(
        _("unit"),
        max_length=20,
        help_text=_("The province or commune code, or the agency or service point number."),
    )
    title = models.CharField(_("objective"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_label = models.CharField(_("owner (as shown)"), max_length=200, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["ends_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="objective_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return self.title


class KeyResult(models.Model):
    """A key result bound to one KPI of the objective's unit: from the baseline to the target
    over the objective's period."""

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", _("at least")
        AT_MOST = "at_most", _("at most")

    objective = models.ForeignKey(
        Objective, verbose_name=_("objective"), on_delete=models.CASCADE, related_name="results"
    )
    title = models.CharField(_("key result"), max_length=300)
    metric = models.CharField(_("KPI"), max_length=60)
    direction = models.CharField(
        _("target is"), max_length=10, choices=Direction.choices, default=Direction.AT_LEAST
    )
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=4)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=4)
    weight = models.PositiveSmallIntegerField(
        _("weight"), default=1, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("key result")
        verbose_name_plural = _("key results")
        ordering = ["objective", "pk"]

    def __str__(self) -> str:
        return self.title
