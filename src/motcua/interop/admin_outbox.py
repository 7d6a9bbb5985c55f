"""Administration of the outbox: webhook subscriptions (their secret shown once, on its own
page), the events written, and their deliveries with the dead-letter list and its replay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.core import audit
from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin, ReadOnlyInline
from motcua.interop import delivery
from motcua.interop.models import Delivery, OutboxEvent, Subscription


class EventTypesField(forms.CharField):
    """A list of event types edited as text, one a line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class SubscriptionForm(forms.ModelForm):
    callback_url = Subscription._meta.get_field("callback_url").formfield(assume_scheme="https")
    event_types = EventTypesField(
        label=capfirst(_("event types")),
        required=False,
        help_text=_(
            "One a line: an event type (vn.motcua.dossier.received) or a prefix "
            "(vn.motcua.dossier); empty: every event."
        ),
    )

    class Meta:
        model = Subscription
        fields = ["name", "callback_url", "event_types", "agencies", "procedures", "active"]


@admin.register(Subscription)
class SubscriptionAdmin(AuditedModelAdmin):
    form = SubscriptionForm
    list_display = ["name", "callback_url", "active", "deactivated_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "callback_url"]
    autocomplete_fields = ["agencies", "procedures"]
    readonly_fields = ["deactivated_at", "created_at", "updated_at"]
    actions = ["issue_secret"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            request.webhook_secret = obj.issue_secret()  # type: ignore[attr-defined]
        if obj.active:
            obj.deactivated_at = None
        super().save_model(request, obj, form, change)

    def response_add(
        self, request: HttpRequest, obj: Subscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        return self._secret_page(request, obj, request.webhook_secret)  # type: ignore[attr-defined]

    @admin.action(description=_("Issue a new signing secret (the old one stops working)"))
    def issue_secret(
        self, request: HttpRequest, queryset: models.QuerySet[Subscription]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose one subscription."), level="error")
            return None
        subscription = queryset.get()
        secret = subscription.issue_secret()
        subscription.save(update_fields=["sealed_secret", "updated_at"])
        audit.record(
            actor=request.user,
            action="interop.subscription.secret",
            obj=subscription,
            ip=audit.client_ip(request),
        )
        return self._secret_page(request, subscription, secret)

    def _secret_page(
        self, request: HttpRequest, subscription: Subscription, secret: str
    ) -> HttpResponse:
        # Rendered in the response, never put in a message: messages may sit in a cookie.
        context = {
            **self.admin_site.each_context(request),
            "title": _("Signing secret of %(name)s") % {"name": subscription.name},
            "opts": self.model._meta,
            "subscription": subscription,
            "secret": secret,
        }
        return TemplateResponse(request, "interop/admin/webhook_secret.html", context)


class DeliveryInline(ReadOnlyInline):
    model = Delivery
    fields = readonly_fields = (
        "sink",
        "target",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
    )


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["time", "type", "subject", "procedure_code", "event_id"]
    list_filter = ["type"]
    search_fields = ["subject", "=event_id", "procedure_code"]
    date_hierarchy = "time"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """Every delivery; filter on state "dead letter" for the dead-letter list."""

    list_display = [
        "event",
        "sink",
        "target",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["state", "sink"]
    search_fields = ["subject", "=event__event_id", "last_error"]
    list_select_related = ["event"]
    actions = ["replay"]

    @admin.display(description=_("last error"))
    def short_error(self, obj: Delivery) -> str:
        return obj.last_error[:120]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("interop.change_delivery")

    @admin.action(
        description=_("Replay the chosen dead letters (same event id)"),
        permissions=["replay"],
    )
    def replay(self, request: HttpRequest, queryset: models.QuerySet[Delivery]) -> None:
        count = delivery.replay(
            deliveries=queryset, actor=request.user, ip=audit.client_ip(request)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d dead letter will be sent again.",
                "%(count)d dead letters will be sent again.",
                count,
            )
            % {"count": count},
        )
