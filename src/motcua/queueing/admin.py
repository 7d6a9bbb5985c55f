"""Queues in the admin: the configuration (priority categories, queue services and which
counters serve them) is edited here; tickets, sessions, appointments and ratings are read only,
since every change of those goes through the services."""

from __future__ import annotations

from django.contrib import admin

from motcua.core.admin import AuditedModelAdmin, ReadOnlyAdmin, ReadOnlyInline
from motcua.queueing.models import (
    Appointment,
    CounterPause,
    CounterService,
    CounterSession,
    PriorityCategory,
    QueueService,
    Rating,
    Ticket,
    TicketEvent,
)


@admin.register(PriorityCategory)
class PriorityCategoryAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "weight", "colour", "order", "active"]
    list_editable = ["weight", "order", "active"]


class CounterServiceInline(admin.TabularInline):
    model = CounterService
    extra = 0


@admin.register(QueueService)
class QueueServiceAdmin(AuditedModelAdmin):
    list_display = ["prefix", "name", "service_point", "number_start", "number_end", "active"]
    list_filter = ["active", "service_point__kind"]
    search_fields = ["name", "code", "service_point__name"]
    list_select_related = ["service_point"]
    inlines = [CounterServiceInline]


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = readonly_fields = ("at", "action", "counter", "officer", "note")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ["number", "day", "service_point", "service", "status", "issued_at", "counter"]
    list_filter = ["status", "day"]
    search_fields = ["number", "dossier_code"]
    list_select_related = ["service_point", "service", "counter"]
    inlines = [TicketEventInline]


class CounterPauseInline(ReadOnlyInline):
    model = CounterPause
    fields = readonly_fields = ("started_at", "ended_at", "reason")


@admin.register(CounterSession)
class CounterSessionAdmin(ReadOnlyAdmin):
    list_display = ["counter", "officer", "opened_at", "closed_at", "paused_since"]
    list_select_related = ["counter__service_point", "officer"]
    inlines = [CounterPauseInline]


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdmin):
    list_display = ["code", "service", "starts_at", "status"]
    list_filter = ["status"]
    search_fields = ["code"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "officer", "counter", "average", "rated_at"]
    list_select_related = ["ticket", "officer", "counter"]
