from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from motcua.catalogue import services
from motcua.catalogue.models import Procedure, ProcedureVersion
from motcua.catalogue.validation import problems_of
from motcua.core.admin import ReadOnlyAdmin


class VersionInline(admin.TabularInline):
    model = ProcedureVersion
    fk_name = "procedure"
    fields = readonly_fields = (
        "number",
        "name",
        "level",
        "online_level",
        "borderless",
        "created_at",
        "created_by",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ProcedureForm(forms.ModelForm):
    """Edit the procedure document; saving a changed document makes a new version."""

    spec = forms.JSONField(
        label=_("procedure document"),
        help_text=_(
            "The whole procedure as JSON (see catalogue/schema.py). A change is saved "
            "as a new version; dossiers already filed keep theirs."
        ),
        widget=forms.Textarea(attrs={"rows": 30, "cols": 100}),
    )

    class Meta:
        model = Procedure
        fields = ["active", "confidentiality"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.current:
            self.fields["spec"].initial = self.instance.current.spec

    def clean_spec(self) -> Any:
        spec = self.cleaned_data["spec"]
        problems = problems_of(spec)
        if problems:
            raise forms.ValidationError(problems)
        if self.instance.pk and spec["code"] != self.instance.code:
            raise forms.ValidationError(_("The national code of a procedure cannot change."))
        if not self.instance.pk and Procedure.objects.filter(code=spec["code"]).exists():
            raise forms.ValidationError(_("A procedure with this code exists already."))
        return spec


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureForm
    list_display = ["code", "current", "confidentiality", "active"]
    list_filter = ["active", "confidentiality"]
    search_fields = ["code", "versions__name"]
    inlines = [VersionInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            version = services.save_version(document=form.cleaned_data["spec"], actor=request.user)
            procedure = version.procedure
            # The document makes the version; activity and confidentiality are the procedure's.
            changed = [
                f for f in ("active", "confidentiality") if getattr(procedure, f) != getattr(obj, f)
            ]
            for name in changed:
                setattr(procedure, name, getattr(obj, name))
            if changed:
                procedure.save(update_fields=changed)
            obj.pk = procedure.pk


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "procedure",
        "number",
        "name",
        "field_name",
        "level",
        "borderless",
        "created_at",
    ]
    list_filter = ["level", "online_level", "borderless", "field_name"]
    search_fields = ["name", "procedure__code"]
