"""Administration of the interop app. API clients are registered here with their
authorisations inline; a new client's secret (and a reset one) is shown once, on its own page,
and never stored in the clear. Every change goes to the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from motcua.core import audit
from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin
from motcua.interop import (  # noqa: F401  (the other parts register their pages)
    admin_outbox,
    admin_portal,
    admin_transfers,
)
from motcua.interop.clients import services as client_services
from motcua.interop.clients.scopes import SCOPES
from motcua.interop.models import ApiCall, ApiClient, Authorisation

# API clients are managed here only: an OAuth application made in DOT's own admin would lack
# the client's motcua data (and would get no token: see clients.oauth). DOT's admin comes first
# in INSTALLED_APPS, so its registrations exist by now.
for _dot_model in (
    get_application_model(),
    get_access_token_model(),
    get_refresh_token_model(),
    get_grant_model(),
    get_id_token_model(),
):
    admin.site.unregister(_dot_model)


class AuthorisationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=[(code, f"{code} — {label}") for code, label in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Authorisation
        fields = ["scopes", "all_procedures", "procedures", "agencies", "max_confidentiality"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("all_procedures") and not cleaned.get("procedures"):
            self.add_error("procedures", _("Choose procedures, or tick all procedures."))
        return cleaned


class AuthorisationInline(admin.StackedInline):
    model = Authorisation
    form = AuthorisationForm
    extra = 1
    autocomplete_fields = ["procedures", "agencies"]


@admin.register(ApiClient)
class ApiClientAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "client_id", "rate_limit", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "organisation", "application__client_id", "contact_email"]
    list_select_related = ["application"]
    fields = [
        "name",
        "organisation",
        "contact_name",
        "contact_email",
        "contact_phone",
        "active",
        "rate_limit",
        "client_id",
        "created_at",
    ]
    readonly_fields = ["client_id", "created_at"]
    inlines = [AuthorisationInline]
    actions = ["reset_secret"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # its calls stay on record: deactivate a client instead

    @admin.display(description=_("client ID"))
    def client_id(self, obj: ApiClient) -> str:
        return obj.client_id if obj.pk else ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        secret = client_services.register_client(
            client=obj, actor=request.user, ip=audit.client_ip(request)
        )
        request.api_client_secret = secret  # type: ignore[attr-defined]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        ip = audit.client_ip(request)
        with transaction.atomic():
            withdrawn = [
                client_services.authorisation_values(f.instance)
                for f in formset.deleted_forms
                if f.instance.pk
            ]
            super().save_formset(request, form, formset, change)
            changed = [pair[0] for pair in formset.changed_objects]
            for action, authorisations in (("grant", formset.new_objects), ("change", changed)):
                for authorisation in authorisations:
                    client_services.record_authorisation(
                        form.instance,
                        client_services.authorisation_values(authorisation),
                        action=action,
                        actor=request.user,
                        ip=ip,
                    )
            for values in withdrawn:
                client_services.record_authorisation(
                    form.instance, values, action="withdraw", actor=request.user, ip=ip
                )

    def response_add(
        self, request: HttpRequest, obj: ApiClient, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._secret_page(request, obj, request.api_client_secret)  # type: ignore[attr-defined]

    @admin.action(description=_("Issue a new secret (the old one stops working)"))
    def reset_secret(
        self, request: HttpRequest, queryset: models.QuerySet[ApiClient]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose one client."), level="error")
            return None
        client = queryset.select_related("application").get()
        secret = client_services.reset_secret(
            client=client, actor=request.user, ip=audit.client_ip(request)
        )
        return self._secret_page(request, client, secret)

    def _secret_page(self, request: HttpRequest, client: ApiClient, secret: str) -> HttpResponse:
        # Rendered in the response, never put in a message: messages may sit in a cookie.
        context = {
            **self.admin_site.each_context(request),
            "title": _("Credentials of %(name)s") % {"name": client.name},
            "opts": self.model._meta,
            "client": client,
            "secret": secret,
        }
        # The admin's views are never cached, so neither is this page.
        return TemplateResponse(request, "interop/admin/client_secret.html", context)


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnlyAdmin):
    list_display = ["at", "client", "method", "path", "status", "resource", "duration_ms", "ip"]
    list_filter = ["status", "method", "client"]
    search_fields = ["path", "resource", "client__name"]
    date_hierarchy = "at"
    list_select_related = ["client"]
