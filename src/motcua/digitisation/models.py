"""The digitisation station and the document store (kho dữ liệu điện tử).

A `Digitisation` is one paper document on its way in: the pages as scanned, then OCR, the
fields read from it, the officer's confirmation. Confirmed, it becomes a `StoredDocument` of its
owner (a person by identity number, an organisation by tax code), which later dossiers reuse
instead of asking for the paper again (NĐ 118/2025 Đ5). Issued results and records fetched from
the national databases join the same store. Every staff read of a stored document is a
`DocumentAccess` row, which the owner can see.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.dossiers.models import Dossier, Result
from motcua.organisation.models import Agency, Province, ServicePoint


class StoredDocument(models.Model):
    class Source(models.TextChoices):
        SCAN = "scan", _("Digitised from paper")
        RESULT = "result", _("Issued result")
        NATIONAL_DB = "national_db", _("National database")

    owner_id = models.CharField(
        _("owner identity number or tax code"), max_length=14, db_index=True
    )
    owner_name = models.CharField(_("owner"), max_length=200)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    document_type = models.CharField(_("document type"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    issuer = models.CharField(_("issued by"), max_length=300, blank=True)
    number = models.CharField(_("number"), max_length=60, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    fields = models.JSONField(_("fields"), default=dict)
    text = models.TextField(_("recognised text"), blank=True)
    # The text folded for search without diacritics (textnorm.fold).
    search_text = models.TextField(blank=True, editable=False)
    file = models.FileField(_("file"), upload_to="store/%Y/%m/", blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("digitised at"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("vouched for by agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    result = models.OneToOneField(
        Result, null=True, blank=True, on_delete=models.PROTECT, related_name="stored_document"
    )
    # Where a national database record came from: the registry and the record's number, so
    # that fetching it again updates the row instead of adding a second one.
    source_reference = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("stored at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for withdrawal"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("stored document")
        verbose_name_plural = _("stored documents")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner_id", "document_type"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_id", "source_reference"],
                condition=~models.Q(source_reference=""),
                name="one_stored_copy_per_national_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} — {self.title}"

    def is_valid_on(self, day: datetime.date) -> bool:
        """Usable in a dossier filed on `day`: not withdrawn and not expired."""
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= day)


class Digitisation(models.Model):
    """One paper document through the station: scanned → OCR → fields confirmed → stored."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting for OCR")
        PROCESSING = "processing", _("Reading the pages")
        REVIEW = "review", _("Waiting for the officer's confirmation")
        CONFIRMED = "confirmed", _("Confirmed and stored")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    owner_id = models.CharField(
        _("owner identity number or tax code"), max_length=14, db_index=True
    )
    owner_name = models.CharField(_("owner"), max_length=200)
    document_type = models.CharField(
        _("document type"), max_length=40, blank=True, help_text=_("Empty: recognise it.")
    )
    declared_pages = models.PositiveIntegerField(
        _("pages counted on paper"),
        help_text=_("TT 01/2023: count the pages before scanning; every page is scanned."),
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        on_delete=models.PROTECT,
        related_name="digitisations",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scanned by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("scanned at"), auto_now_add=True)
    # The document of a dossier this scan is for (a paper handed in at receipt).
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="digitisations",
    )
    requirement = models.CharField(_("dossier document"), max_length=60, blank=True)
    original = models.FileField(_("scanned pages"), upload_to="scans/%Y/%m/")
    original_names = models.JSONField(default=list)
    original_sha256 = models.CharField(max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    searchable = models.FileField(_("searchable PDF/A"), upload_to="scans/%Y/%m/", blank=True)
    text = models.TextField(_("recognised text"), blank=True)
    detected_type = models.CharField(max_length=40, blank=True)
    fields = models.JSONField(_("fields read"), default=dict)
    # A CCCD QR code found on the pages, parsed (dossiers.cccd.parse_cccd_qr).
    cccd = models.JSONField(null=True, blank=True)
    document = models.OneToOneField(
        StoredDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="digitisation",
    )
    batch = models.CharField(_("batch"), max_length=80, blank=True, db_index=True)
    # NULL, not "", when filed without a key: a unique column admits many NULLs only.
    submission_key = models.CharField(  # noqa: DJ001
        max_length=200, unique=True, null=True, editable=False
    )
    revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("digitisation")
        verbose_name_plural = _("digitisations")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["service_point", "state"])]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.get_state_display()}"


class DocumentAccess(models.Model):
    """Who opened or used a stored document, when, and for which dossier. Never edited."""

    class Purpose(models.TextChoices):
        VIEW = "view", _("Opened")
        DOWNLOAD = "download", _("Downloaded")
        LOOKUP = "lookup", _("Looked up at intake")
        REUSE = "reuse", _("Reused in a dossier")
        STORE = "store", _("Stored")

    document = models.ForeignKey(StoredDocument, on_delete=models.CASCADE, related_name="accesses")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("document access")
        verbose_name_plural = _("document accesses")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.document_id} {self.purpose} {self.actor_label}"
