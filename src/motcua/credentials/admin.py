"""Issued credentials in the admin: read only, with actions that revoke, suspend or reinstate
them through `issuance.set_status` after asking for the reason on a page of their own.

The admin of this app is gated like every other app (core.backends.APP_PERMISSION); the list
is narrowed to the credentials of agencies in the user's jurisdiction."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from motcua.core.admin import ReadOnlyAdmin, ReadOnlyInline
from motcua.core.errors import MotcuaError
from motcua.core.permissions import Jurisdiction, scope
from motcua.core.principal import principal_for
from motcua.credentials import issuance
from motcua.credentials.models import Delivery, IssuedCredential, StatusList

CREDENTIAL_JURISDICTION = Jurisdiction(
    province="result__agency__province__code",
    commune="result__agency__commune__code",
    agency="result__agency_id",
)
STATUS_JURISDICTION = Jurisdiction(
    province="agency__province__code", commune="agency__commune__code", agency="agency_id"
)


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = readonly_fields = (
        "delivered_at",
        "holder_key_thumbprint",
        "sd_jwt_sha256",
        "event",
        "event_description",
        "event_at",
    )


def _status_action(status: str, label: Any) -> Any:
    """An admin action that sets `status` on the selected credentials, after a page that
    asks for the reason (posted back to the same action with "apply")."""

    def action(
        modeladmin: IssuedCredentialAdmin,
        request: HttpRequest,
        queryset: QuerySet[IssuedCredential],
    ) -> HttpResponse | None:
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("apply") and reason:
            modeladmin.apply_status(request, queryset, status, reason)
            return None
        return TemplateResponse(
            request,
            "credentials/admin/set_status.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": label,
                "opts": modeladmin.model._meta,
                "credentials": queryset,
                "action": f"set_{status}",
                "missing_reason": bool(request.POST.get("apply")),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    action.__name__ = f"set_{status}"
    return admin.action(description=label, permissions=["status"])(action)


@admin.register(IssuedCredential)
class IssuedCredentialAdmin(ReadOnlyAdmin):
    list_display = [
        "result_number",
        "holder_name",
        "holder_id_number",
        "agency",
        "status",
        "issued_at",
        "status_changed_at",
    ]
    list_filter = ["status"]
    search_fields = ["result__number", "holder_name", "holder_id_number", "result__dossier__code"]
    list_select_related = ["result__agency"]
    readonly_fields = [
        "result",
        "holder_id_number",
        "holder_name",
        "vct",
        "status_list",
        "status_index",
        "status",
        "status_reason",
        "status_changed_at",
        "status_changed_by",
        "issued_at",
        "expires_at",
    ]
    inlines = [DeliveryInline]
    actions = [
        _status_action(IssuedCredential.Status.REVOKED, gettext_lazy("Revoke (final)")),
        _status_action(IssuedCredential.Status.SUSPENDED, gettext_lazy("Suspend")),
        _status_action(IssuedCredential.Status.VALID, gettext_lazy("Reinstate")),
    ]

    @admin.display(description=gettext_lazy("number"), ordering="result__number")
    def result_number(self, credential: IssuedCredential) -> str:
        return credential.result.number

    @admin.display(description=gettext_lazy("issued by"))
    def agency(self, credential: IssuedCredential) -> str:
        return credential.result.agency.name

    def get_queryset(self, request: HttpRequest) -> QuerySet[IssuedCredential]:
        return scope(
            super().get_queryset(request), principal_for(request.user), CREDENTIAL_JURISDICTION
        )

    def has_status_permission(self, request: HttpRequest) -> bool:
        """Changing a status is the one change this admin makes: whoever may change the
        app's records in the admin may do it."""
        return request.user.has_perm("credentials.change_issuedcredential")

    def apply_status(
        self, request: HttpRequest, queryset: QuerySet[IssuedCredential], status: str, reason: str
    ) -> None:
        changed, refused = 0, []
        for credential in queryset:
            try:
                issuance.set_status(credential, status, reason, request.user)
            except MotcuaError as refusal:
                refused.append(f"{credential.result.number}: {refusal.message}")
            else:
                changed += 1
        if changed:
            self.message_user(
                request,
                ngettext(
                    "Status changed for %(count)d credential.",
                    "Status changed for %(count)d credentials.",
                    changed,
                )
                % {"count": changed},
            )
        for line in refused:
            self.message_user(
                request, _("Not changed — %(reason)s") % {"reason": line}, messages.ERROR
            )


@admin.register(StatusList)
class StatusListAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "agency", "number", "size", "bits", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StatusList]:
        return scope(
            super().get_queryset(request).select_related("agency"),
            principal_for(request.user),
            STATUS_JURISDICTION,
        )
