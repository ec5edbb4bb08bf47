"""Admin for the day's configuration: offices, services and steps, counters, devices."""

from django.contrib import admin

from .models import (
    Counter,
    CounterService,
    Device,
    Office,
    Service,
    SpecialDay,
    Step,
    Ticket,
    TicketEvent,
)


class StepInline(admin.TabularInline):
    model = Step
    extra = 0


class CounterServiceInline(admin.TabularInline):
    model = CounterService
    extra = 0


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "no_show_grace_minutes"]
    readonly_fields = ["event_version"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["prefix", "name", "office", "target_wait_minutes", "available_from",
                    "available_until", "active"]
    list_filter = ["office", "active"]
    inlines = [StepInline]


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    list_display = ["number", "label", "kind", "status", "office"]
    list_filter = ["office", "kind", "status"]
    inlines = [CounterServiceInline]


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "office", "revoked", "paused"]
    list_filter = ["type", "revoked"]
    readonly_fields = ["key"]
    filter_horizontal = ["services"]
    actions = ["revoke"]

    @admin.action(description="鍵を失効させる (revoke the key)")
    def revoke(self, request, queryset):
        """Revoke the selected devices' keys."""
        queryset.update(revoked=True)


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in TicketEvent._meta.fields]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change only through the counter actions (and their audit)."""

    list_display = ["display_number", "business_day", "service", "step", "status", "counter"]
    list_filter = ["office", "business_day", "status"]
    inlines = [TicketEventInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    list_display = ["date", "label", "kind", "service", "factor", "office"]
    list_filter = ["office", "kind"]
    date_hierarchy = "date"
