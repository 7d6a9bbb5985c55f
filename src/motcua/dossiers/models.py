"""Dossiers: what a citizen or business files, from intake on.

A dossier keeps the procedure version it was filed under (so rule changes never move its
deadline or fee), the service point and agency that received it, the competent agency it is
routed to, and an append-only list of events that is its history.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.catalogue.models import Procedure, ProcedureVersion
from motcua.organisation.models import Agency, Commune, Province, ServicePoint


def new_tracking_secret() -> str:
    return secrets.token_urlsafe(12)


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post")
    API = "api", _("Through the API")


class Status(models.IntegerChoices):
    """The national portal's status codes (DOMAIN.md), so synchronisation is a lookup."""

    NEW = 1, _("Newly registered")
    RECEIVED = 2, _("Received")
    NOT_RECEIVED = 3, _("Refused at receipt")
    PROCESSING = 4, _("Processing")
    SUPPLEMENT = 5, _("Supplement requested")
    FINANCIAL = 6, _("Financial obligation requested")
    WITHDRAWAL = 7, _("Withdrawal requested")
    STOPPED = 8, _("Stopped")
    PROCESSED = 9, _("Processed")
    RETURNED = 10, _("Result returned")


class Timeliness(models.TextChoices):
    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("On time")
    LATE = "late", _("Late")


class ReturnMethod(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post")
    ONLINE = "online", _("Online")


class Dossier(models.Model):
    code = models.CharField(_("dossier code"), max_length=60, unique=True)
    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="dossiers"
    )
    version = models.ForeignKey(
        ProcedureVersion,
        verbose_name=_("procedure version"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.PositiveSmallIntegerField(_("status"), choices=Status.choices)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    receiving_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("receiving service point"),
        on_delete=models.PROTECT,
        related_name="received_dossiers",
    )
    receiving_agency = models.ForeignKey(
        Agency, verbose_name=_("receiving agency"), on_delete=models.PROTECT, related_name="+"
    )
    competent_agency = models.ForeignKey(
        Agency,
        verbose_name=_("competent agency"),
        on_delete=models.PROTECT,
        related_name="competent_dossiers",
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune-level unit"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        help_text=_("The commune whose agencies the dossier was routed by."),
    )
    applicant_name = models.CharField(_("applicant"), max_length=100)
    applicant_id_number = models.CharField(_("identity number"), max_length=12, db_index=True)
    applicant_birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    applicant_address = models.CharField(_("address"), max_length=300)
    applicant_phone = models.CharField(_("phone"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    data = models.JSONField(_("form data"), default=dict)
    fee_amount = models.PositiveBigIntegerField(
        _("fee (đồng)"), null=True, blank=True, help_text=_("Empty: set by the province.")
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by officer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    check_due_at = models.DateTimeField(
        _("check due at"),
        help_text=_("When the check at receipt must be done (NQ 66.7/2025)."),
    )
    queue_ticket = models.CharField(_("queue ticket"), max_length=20, blank=True)
    # Filed after an e-ID login: the provider's subject, the assurance level (0: no e-ID), the
    # digest of the applicant's verified fields (intake.verified_hash) and who filed for the
    # applicant (intake.Representation, as a dict; empty when the applicant filed).
    eid_subject = models.CharField(_("e-ID subject"), max_length=200, blank=True)
    eid_level = models.PositiveSmallIntegerField(_("e-ID level"), default=0)
    verified_hash = models.CharField(max_length=64, blank=True)
    representation = models.JSONField(_("filed by"), default=dict, blank=True)
    tracking_secret = models.CharField(max_length=32, default=new_tracking_secret, editable=False)
    # The key a retried submission repeats (Idempotency-Key, or the web form's one-time
    # token), so that it finds this dossier instead of making a second one.
    # NULL, not "", for dossiers filed without a key: a unique column admits many NULLs only.
    submission_key = models.CharField(  # noqa: DJ001
        max_length=200, unique=True, null=True, editable=False
    )
    revision = models.PositiveIntegerField(default=0, editable=False)
    # A dossier transferred in from another motcua instance references its original there (the
    # instance's id and the original's code): the original is the one counted and reported to
    # the national portal, this one is not counted twice.
    origin_instance = models.CharField(_("original's instance"), max_length=200, blank=True)
    origin_code = models.CharField(_("original dossier code"), max_length=60, blank=True)
    # Processing (after receipt). `step` is the internal sub-status: the process step the
    # dossier is at. The clock starts at receipt and starts again from zero when a supplement
    # asked for after receipt comes in; time waiting for the citizen moves `due_at` later.
    step = models.CharField(_("step"), max_length=60, blank=True)
    clock_started_at = models.DateTimeField(
        _("processing time counted from"), null=True, blank=True
    )
    waiting_since = models.DateTimeField(
        _("waiting for the applicant since"), null=True, blank=True
    )
    due_before_extension = models.DateTimeField(
        _("due before the extension"), null=True, blank=True
    )
    extended_at = models.DateTimeField(_("extended at"), null=True, blank=True)
    overdue_since = models.DateTimeField(
        _("flagged overdue at"), null=True, blank=True, db_index=True
    )
    due_soon_flagged_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    timeliness = models.CharField(
        _("timeliness"), max_length=10, choices=Timeliness.choices, blank=True
    )
    returned_via = models.CharField(
        _("result returned"), max_length=10, choices=ReturnMethod.choices, blank=True
    )

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["receiving_point", "status"]),
            models.Index(fields=["competent_agency", "status"]),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def applicant_initials(self) -> str:
        """What public pages show of the applicant: "Nguyễn Văn An" → "N. V. A."."""
        return " ".join(f"{word[0]}." for word in self.applicant_name.split())


class DailySequence(models.Model):
    """The last dossier number given by an agency on one local day (a locked counter row)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="one_sequence_per_agency_day")
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day}: {self.last}"


class DossierDocument(models.Model):
    """One required document of a dossier, as received (file or paper), missing or replaced."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        MISSING = "missing", _("Missing")
        REPLACED = "replaced", _("Replaced by shared data")
        REUSED = "reused", _("Reused from the document store")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="documents")
    requirement = models.CharField(_("requirement"), max_length=60)
    name = models.CharField(_("name"), max_length=500)
    form = models.CharField(_("form"), max_length=20)
    count = models.PositiveSmallIntegerField(_("count"), default=1)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    file = models.FileField(_("file"), upload_to="dossiers/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=50, blank=True)
    size = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    # The document store's copy: a scan confirmed for this dossier, or one reused from an
    # earlier dossier (state REUSED) instead of asking the applicant for it again.
    stored_document = models.ForeignKey(
        "digitisation.StoredDocument",
        verbose_name=_("document store copy"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="uses",
    )

    class Meta:
        verbose_name = _("dossier document")
        verbose_name_plural = _("dossier documents")
        ordering = ["dossier", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier.code} — {self.name}"


# What each action of a dossier's history reads as.
EVENT_LABELS = {
    "submitted": _("Submitted"),
    "received": _("Received"),
    "supplement_requested": _("Supplement requested"),
    "refused": _("Refused at receipt"),
    "supplemented": _("Supplemented"),
    "assigned": _("Assigned to a handler"),
    "consultation_requested": _("Other agencies consulted"),
    "consultation_replied": _("Consulted agency replied"),
    "financial_obligation_requested": _("Financial obligation requested"),
    "financial_obligation_met": _("Financial obligation met"),
    "proposed": _("Result proposed"),
    "approved": _("Approved"),
    "sent_back": _("Sent back to the handler"),
    "returned": _("Result returned"),
    "extended": _("Due date moved, with an apology"),
    "stop_requested": _("Applicant asked to stop"),
    "stopped": _("Stopped"),
    "digitised": _("Paper document digitised"),
    "transferred": _("Transferred to another instance"),
    "transfer_refused": _("Refused by the other instance"),
    "remote_status": _("Status at the other instance"),
    "result_received": _("Result received from the other instance"),
}


class DossierEvent(models.Model):
    """One step of a dossier's history. Events are appended, never edited."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=150)
    action = models.CharField(_("action"), max_length=40)
    from_status = models.PositiveSmallIntegerField(null=True, choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")
        ordering = ["dossier", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier.code} {self.action}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


class Slip(models.Model):
    """A slip handed or sent to the applicant (TT 01/2018 Mẫu 01–04; TT 03/2025's stop notice).

    Its content is fixed when issued; the PDF is rendered from it once, after commit.
    """

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt and appointment")
        SUPPLEMENT = "supplement", _("Supplement request")
        REFUSAL = "refusal", _("Refusal of receipt")
        APOLOGY = "apology", _("Apology and new appointment")
        STOP = "stop", _("Notice of stopping")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="slips")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("issued by agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the receiving service point issued it."),
    )
    new_due_at = models.DateTimeField(_("new appointment"), null=True, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    items = models.JSONField(
        _("items"), default=list, help_text=_("What is missing, or the reasons for refusal.")
    )
    pdf = models.FileField(upload_to="slips/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("slip")
        verbose_name_plural = _("slips")
        ordering = ["dossier", "issued_at", "pk"]

    def __str__(self) -> str:
        return f"{self.dossier.code} {self.get_kind_display()}"


class Task(models.Model):
    """One hand-off of a dossier: a step of its procedure's process at one agency (or service
    point), or a consultation of another agency in parallel with the lead agency's handling.

    The tasks of a dossier, in order, are its process control slip: who handed it to whom,
    when, by when it was due and whether it was done early, on time or late.
    """

    class Kind(models.TextChoices):
        RECEIVE = "receive", _("Receive")
        HANDLE = "handle", _("Handle")
        APPROVE = "approve", _("Approve")
        RETURN = "return", _("Return the result")
        CONSULT = "consult", _("Consultation")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="tasks")
    step = models.CharField(_("step"), max_length=60)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="tasks"
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossier_tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("consulted for"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consultations",
    )
    sender = models.CharField(_("handed over by"), max_length=300)
    opened_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    outcome = models.CharField(_("outcome"), max_length=30, blank=True)
    note = models.TextField(_("note"), blank=True)
    reply = models.TextField(_("reply"), blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["dossier", "opened_at", "pk"]
        indexes = [
            models.Index(fields=["agency", "state", "kind"]),
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["service_point", "state"]),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.step} ({self.state})"


class Result(models.Model):
    """The result an agency issues for a dossier: what the procedure grants, or a written
    refusal with its reasons. Its PDF is rendered and PAdES-signed with the issuing agency's
    key after commit; anyone can check it at its verification address."""

    class Kind(models.TextChoices):
        GRANT = "grant", _("Granted")
        REFUSAL = "refusal", _("Refused with reasons")

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="result")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=60)
    title = models.CharField(_("title"), max_length=500)
    reasons = models.JSONField(_("reasons"), default=list)
    agency = models.ForeignKey(
        Agency, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pdf = models.FileField(upload_to="results/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    verification_secret = models.CharField(
        max_length=32, default=new_tracking_secret, editable=False
    )

    class Meta:
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Evaluation(models.Model):
    """The dossier's evaluation by TT 01/2018 (indices 1–4, each 0/1/2), stored when it ends."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="evaluation")
    evaluated_at = models.DateTimeField(_("evaluated at"))
    total_time = models.PositiveSmallIntegerField(_("1. total time against the statutory time"))
    agency_time = models.PositiveSmallIntegerField(_("2. time at each agency"))
    contacts = models.PositiveSmallIntegerField(_("3. contacts to complete the dossier"))
    agencies_contacted = models.PositiveSmallIntegerField(_("4. agencies the applicant went to"))
    contact_count = models.PositiveSmallIntegerField(default=0)
    agency_count = models.PositiveSmallIntegerField(default=0)
    per_agency = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("dossier evaluation")
        verbose_name_plural = _("dossier evaluations")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.score}"

    @property
    def score(self) -> int:
        return self.total_time + self.agency_time + self.contacts + self.agencies_contacted
