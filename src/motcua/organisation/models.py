"""The two-tier organisation: provinces and commune-level units, the agencies that serve them,
the service points (provincial and commune centres) with their counters, and the roles staff hold.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.core.permissions import PERMISSIONS, ScopeKind
from motcua.core.text import fold

# QĐ 20/2020/QĐ-TTg: up to 35 characters A–Z, 0–9 and '.', lower levels to the left of the
# level-1 code, which ends the code (e.g. 000.00.00.H22 for Quảng Ninh).
AGENCY_CODE_RE = re.compile(r"^(?:[0-9A-Z]{2,3}\.)*[A-Y][0-9]{2}$")
agency_code_validator = RegexValidator(
    AGENCY_CODE_RE,
    _(
        "An agency code is up to 35 characters of A–Z, 0–9 and dots, ending with the "
        "level-1 code such as H22 (e.g. 000.00.00.H22)."
    ),
    code="agency_code",
)


class Province(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "tinh", _("Province")
        CITY = "thanh_pho", _("Centrally-run city")

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune-level unit (xã, phường, đặc khu) since 1 July 2025."""

    class Kind(models.TextChoices):
        COMMUNE = "xa", _("Commune")
        WARD = "phuong", _("Ward")
        SPECIAL_ZONE = "dac_khu", _("Special zone")

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="communes"
    )

    class Meta:
        verbose_name = _("commune-level unit")
        verbose_name_plural = _("commune-level units")
        ordering = ["province__code", "name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.province.short_name}"


class Agency(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCE = "province", _("Province")
        COMMUNE = "commune", _("Commune")

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "peoples_committee", _("People's Committee")
        OFFICE = "office", _("Office of the People's Committee")
        DEPARTMENT = "department", _("Department")
        POLICE = "police", _("Police")
        COMMUNE_POLICE = "commune_police", _("Commune police")
        LAND_REGISTRATION = "land_registration", _("Land registration office")
        LAND_REGISTRATION_BRANCH = "land_registration_branch", _("Land registration branch")
        SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
        TAX = "tax", _("Tax")
        MINISTRY = "ministry", _("Ministry")
        OTHER = "other", _("Other")

    code = models.CharField(
        _("agency code"),
        max_length=35,
        unique=True,
        validators=[agency_code_validator],
        help_text=_("Per QĐ 20/2020/QĐ-TTg, e.g. 000.00.00.H22."),
    )
    name = models.CharField(_("name"), max_length=255)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    province = models.ForeignKey(
        Province,
        verbose_name=_("province"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        help_text=_("The province the agency serves; empty for national agencies."),
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        help_text=_("For commune-level agencies: the commune-level unit they serve."),
    )
    served_communes = models.ManyToManyField(
        Commune,
        verbose_name=_("area served"),
        blank=True,
        related_name="area_agencies",
        help_text=_(
            "For a provincial agency that serves part of the province, such as a land "
            "registration branch: the commune-level units of its area. Dossiers of those "
            "communes are routed to it."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    search_key = models.CharField(max_length=400, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = fold(f"{self.name} {self.short_name} {self.code}")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[Any]] = {}
        if self.level == self.Level.COMMUNE and not self.commune_id:
            errors.setdefault("commune", []).append(
                _("A commune-level agency must name the commune-level unit it serves.")
            )
        if self.level != self.Level.COMMUNE and self.commune_id:
            errors.setdefault("commune", []).append(
                _("Only commune-level agencies serve a single commune-level unit.")
            )
        if self.level != self.Level.NATIONAL and not self.province_id:
            errors.setdefault("province", []).append(
                _("A provincial or commune-level agency must name its province.")
            )
        if self.commune is not None and self.commune.province_id != self.province_id:
            errors.setdefault("commune", []).append(
                _("The commune-level unit is not in the agency's province.")
            )
        if self.parent_id and self.pk and self._parent_chain_contains_self():
            errors.setdefault("parent", []).append(_("An agency cannot be its own ancestor."))
        if errors:
            raise ValidationError(errors)

    def _parent_chain_contains_self(self) -> bool:
        seen: set[int] = set()
        node = self.parent
        while node is not None:
            if node.pk == self.pk or node.pk in seen:
                return True
            seen.add(node.pk)
            node = node.parent
        return False


def default_opening_hours() -> dict[str, list[list[str]]]:
    weekday = [["07:30", "11:30"], ["13:30", "17:00"]]
    return {str(day): weekday for day in range(5)}


class ServicePoint(models.Model):
    """A Public Administrative Service Centre (provincial or commune) or one of its branches."""

    class Kind(models.TextChoices):
        PROVINCIAL_CENTRE = "provincial_centre", _("Provincial service centre")
        COMMUNE_CENTRE = "commune_centre", _("Commune service centre")
        BRANCH = "branch", _("Branch")

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="+"
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune-level unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_points",
        help_text=_("Where the centre stands; required for commune centres."),
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("managing agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_points",
        help_text=_(
            "The agency the centre belongs to (the commune People's Committee; for the "
            "provincial centre, the Office of the provincial People's Committee). Its code "
            "begins the codes of the dossiers received here."
        ),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=default_opening_hours,
        help_text=_('Per weekday (0 = Monday … 6 = Sunday) a list of ["HH:MM", "HH:MM"] sessions.'),
    )
    agencies = models.ManyToManyField(
        Agency,
        verbose_name=_("agencies received for"),
        blank=True,
        related_name="service_points",
    )
    active = models.BooleanField(_("active"), default=True)
    search_key = models.CharField(max_length=400, editable=False, db_index=True, default="")

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = fold(f"{self.name} {self.code} {self.address}")
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.kind == self.Kind.COMMUNE_CENTRE and not self.commune_id:
            raise ValidationError(
                {"commune": _("A commune service centre must name its commune-level unit.")}
            )
        if self.commune is not None and self.commune.province_id != self.province_id:
            raise ValidationError({"commune": _("The commune-level unit is not in this province.")})
        if self.agency is not None and self.agency.province_id != self.province_id:
            raise ValidationError({"agency": _("The managing agency is not in this province.")})
        validate_opening_hours(self.opening_hours)


TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def validate_opening_hours(value: object) -> None:
    message = _('Opening hours must map weekdays 0–6 to lists of ["HH:MM", "HH:MM"] sessions.')
    if not isinstance(value, dict):
        raise ValidationError({"opening_hours": message})
    for day, sessions in value.items():
        if day not in {str(d) for d in range(7)} or not isinstance(sessions, list):
            raise ValidationError({"opening_hours": message})
        for session in sessions:
            if (
                not isinstance(session, list)
                or len(session) != 2
                or not all(isinstance(t, str) and TIME_RE.match(t) for t in session)
                or session[0] >= session[1]
            ):
                raise ValidationError({"opening_hours": message})


class Counter(models.Model):
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        on_delete=models.CASCADE,
        related_name="counters",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["service_point", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "number"], name="counter_number_unique_per_point"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_point} — {_('Counter')} {self.number}"


def validate_permission_codes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(_("Permissions must be a list of permission codes."))
    unknown = sorted(set(value) - set(PERMISSIONS))
    if unknown:
        raise ValidationError(
            _("Unknown permission codes: %(codes)s."), params={"codes": ", ".join(unknown)}
        )


class Role(models.Model):
    """A named set of permissions, held over one kind of scope (permissions are data)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    scope_kind = models.CharField(_("scope"), max_length=20, choices=ScopeKind.CHOICES)
    permissions = models.JSONField(
        _("permissions"), default=list, validators=[validate_permission_codes]
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleMembership(models.Model):
    """A user holds a role over exactly one scope of the role's kind."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_memberships",
    )
    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="memberships"
    )
    province = models.ForeignKey(
        Province, verbose_name=_("province"), null=True, blank=True, on_delete=models.CASCADE
    )
    commune = models.ForeignKey(
        Commune,
        verbose_name=_("commune-level unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.CASCADE
    )
    service_point = models.ForeignKey(
        ServicePoint,
        verbose_name=_("service point"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
    )

    SCOPE_FIELDS = {
        ScopeKind.PROVINCE: "province",
        ScopeKind.COMMUNE: "commune",
        ScopeKind.AGENCY: "agency",
        ScopeKind.SERVICE_POINT: "service_point",
    }

    class Meta:
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_exactly_one_scope",
                condition=(
                    models.Q(
                        province__isnull=False,
                        commune__isnull=True,
                        agency__isnull=True,
                        service_point__isnull=True,
                    )
                    | models.Q(
                        province__isnull=True,
                        commune__isnull=False,
                        agency__isnull=True,
                        service_point__isnull=True,
                    )
                    | models.Q(
                        province__isnull=True,
                        commune__isnull=True,
                        agency__isnull=False,
                        service_point__isnull=True,
                    )
                    | models.Q(
                        province__isnull=True,
                        commune__isnull=True,
                        agency__isnull=True,
                        service_point__isnull=False,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} — {self.scope_object}"

    @property
    def scope_object(self) -> models.Model | None:
        return getattr(self, self.SCOPE_FIELDS[self.role.scope_kind], None)

    def clean(self) -> None:
        if not self.role_id:
            return
        expected = self.SCOPE_FIELDS[self.role.scope_kind]
        given = [name for name in self.SCOPE_FIELDS.values() if getattr(self, f"{name}_id")]
        if given != [expected]:
            raise ValidationError(
                {
                    expected: _(
                        "The role “%(role)s” is held over a %(kind)s: fill in that field "
                        "and only that one."
                    )
                    % {
                        "role": self.role.name,
                        "kind": str(dict(ScopeKind.CHOICES)[self.role.scope_kind]).lower(),
                    }
                }
            )
