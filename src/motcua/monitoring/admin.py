"""Monitoring in the admin: the service-quality index (groups, sub-indicators, bands) and the
OKRs are edited here, every change audited; the rollups are read only (`tracking` keeps them).

A formula is checked with the index's own parser before it is saved, so a page never meets a
formula it cannot score; a key result names a KPI that exists, and an objective a unit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from motcua.core import audit
from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin
from motcua.monitoring import index, kpis, selectors
from motcua.monitoring.models import (
    IndexBand,
    IndexGroup,
    IndexIndicator,
    KeyResult,
    Objective,
    OfficerDay,
    UnitDay,
    UnitStock,
)


class AuditedInlinesAdmin(AuditedModelAdmin):
    """Audits the rows its inlines add, change and delete as well as the parent's."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        label = formset.model._meta.label_lower
        ip = audit.client_ip(request)
        with transaction.atomic():
            # The forms' instances carry the edited values already: the old ones are stored.
            stored = {
                pk: audit.model_values(obj)
                for pk, obj in formset.model.objects.in_bulk(
                    [f.instance.pk for f in formset.initial_forms if f.instance.pk]
                ).items()
            }
            for deleted in formset.deleted_forms:
                if deleted.instance.pk in stored:
                    audit.record(
                        actor=request.user,
                        action=f"{label}.delete",
                        obj=deleted.instance,
                        old=stored[deleted.instance.pk],
                        ip=ip,
                    )
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                audit.record(
                    actor=request.user,
                    action=f"{label}.create",
                    obj=obj,
                    new=audit.model_values(obj),
                    ip=ip,
                )
            for obj, _fields in formset.changed_objects:
                old, new = audit.changed_values(stored[obj.pk], audit.model_values(obj))
                audit.record(
                    actor=request.user, action=f"{label}.update", obj=obj, old=old, new=new, ip=ip
                )


def _kpi_names() -> str:
    return ", ".join(sorted(index.metric_names()))


# The index ---------------------------------------------------------------------------------


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = IndexIndicator
        fields = [
            "group",
            "code",
            "name",
            "formula",
            "points",
            "provisional",
            "full_when_empty",
            "source",
            "order",
        ]
        widgets = {"formula": forms.TextInput(attrs={"size": 60})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["formula"]
        field.help_text = format_lazy(
            "{} {}", field.help_text, _("KPI names: %(names)s.") % {"names": _kpi_names()}
        )

    def clean_formula(self) -> str:
        formula: str = self.cleaned_data["formula"].strip()
        index.parse(formula)  # ValidationError with the reason: unreadable, or an unknown KPI
        return formula


class IndicatorInline(admin.StackedInline):
    model = IndexIndicator
    form = IndicatorForm
    extra = 0


@admin.register(IndexGroup)
class IndexGroupAdmin(AuditedInlinesAdmin):
    list_display = ["name", "code", "max_points", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name"]
    inlines = [IndicatorInline]


@admin.register(IndexIndicator)
class IndexIndicatorAdmin(AuditedModelAdmin):
    form = IndicatorForm
    list_display = ["name", "code", "group", "formula", "points", "provisional", "full_when_empty"]
    list_filter = ["group", "provisional"]
    search_fields = ["code", "name", "formula"]
    list_select_related = ["group"]


@admin.register(IndexBand)
class IndexBandAdmin(AuditedModelAdmin):
    list_display = ["minimum", "name", "colour"]


# OKRs --------------------------------------------------------------------------------------


def _metric_choices() -> list[tuple[str, Any]]:
    return [
        (name, format_lazy("{} — {}", name, kpis.METRIC_LABELS[name]))
        if name in kpis.METRIC_LABELS
        else (name, name)
        for name in sorted(index.metric_names())
    ]


class KeyResultForm(forms.ModelForm):
    metric = forms.ChoiceField(label=_("KPI"), choices=_metric_choices)

    class Meta:
        model = KeyResult
        fields = ["title", "metric", "direction", "baseline", "target", "weight"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        metric = cleaned.get("metric", "")
        # Rates are kept from 0 to 1 (kpis): a target of 70 for 70 percent is never met.
        if kpis.is_rate(metric):
            for name in ("baseline", "target"):
                value = cleaned.get(name)
                if value is not None and not 0 <= value <= 1:
                    self.add_error(
                        name,
                        _("This KPI is a rate: give it from 0 to 1, e.g. 0.70 for 70 percent."),
                    )
        return cleaned


class KeyResultInline(admin.TabularInline):
    model = KeyResult
    form = KeyResultForm
    extra = 1


class ObjectiveForm(forms.ModelForm):
    class Meta:
        model = Objective
        fields = ["unit_kind", "unit_key", "title", "owner", "owner_label", "starts_on", "ends_on"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        kind, key = cleaned.get("unit_kind"), cleaned.get("unit_key", "").strip()
        if kind and key:
            if not selectors.exists(kpis.Unit(kind, key)):
                self.add_error("unit_key", _("There is no such unit."))
            cleaned["unit_key"] = key
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("An objective ends on or after the day it starts."))
        return cleaned


@admin.register(Objective)
class ObjectiveAdmin(AuditedInlinesAdmin):
    form = ObjectiveForm
    list_display = ["title", "unit_kind", "unit_key", "starts_on", "ends_on", "owner_label"]
    list_filter = ["unit_kind"]
    search_fields = ["title", "unit_key", "owner_label"]
    autocomplete_fields = ["owner"]
    inlines = [KeyResultInline]


# The rollups, read only --------------------------------------------------------------------


@admin.register(UnitDay)
class UnitDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "commune", "agency", "service_point", "received", "finished_late"]
    list_select_related = ["commune", "agency", "service_point"]


@admin.register(UnitStock)
class UnitStockAdmin(ReadOnlyAdmin):
    list_display = ["commune", "agency", "service_point", "in_progress", "overdue"]
    list_select_related = ["commune", "agency", "service_point"]


@admin.register(OfficerDay)
class OfficerDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "officer", "agency", "steps_done", "steps_late"]
    list_select_related = ["officer", "agency"]
