"""Admin: schedules with their rules, the slot generation action, read-only bookings and audit."""

from django.contrib import admin, messages

from queueing.admin import NeverEchoesInline
from queueing.privacy import NeverEchoesModelForm

from . import services
from .models import Booking, BookingEvent, ClosedDay, ExtraOpening, Schedule, Slot, WeeklyRule


class WeeklyRuleInline(NeverEchoesInline):
    model = WeeklyRule


class ClosedDayInline(NeverEchoesInline):
    model = ClosedDay


class ExtraOpeningInline(NeverEchoesInline):
    model = ExtraOpening


@admin.action(description="予約枠を生成（予約済みの枠は変更しない） / Generate slots")
def generate_slots(modeladmin, request, queryset):
    """Admin action: generate each selected schedule's slots over its horizon (idempotent)."""
    for schedule in queryset:
        counts = services.slots_generate(schedule=schedule)
        modeladmin.message_user(request, slots_generated_message(schedule, counts),
                                messages.SUCCESS)


def slots_generated_message(schedule: Schedule, counts: dict[str, int]) -> str:
    """What slot generation did, as a sentence a clerk reads."""
    return (f"{schedule}: 予約枠を{counts['created']}件作成、{counts['updated']}件更新、"
            f"{counts['removed']}件削除しました。予約のある{counts['kept_booked']}件は"
            "変更していません。")


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = NeverEchoesModelForm
    list_display = ["office", "service", "slot_minutes", "earliest_days", "latest_days",
                    "change_deadline_days", "max_party", "evening_cutoff", "active"]
    inlines = [WeeklyRuleInline, ClosedDayInline, ExtraOpeningInline]
    actions = [generate_slots]


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = NeverEchoesModelForm
    list_display = ["start", "schedule", "capacity", "seats_taken"]
    list_filter = ["schedule"]
    date_hierarchy = "start"
    # Seats change only through the booking services (conditional update).
    readonly_fields = ["seats_taken"]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "action", "from_status", "to_status", "actor", "device",
                       "from_slot", "reason"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services so it is audited."""

    form = NeverEchoesModelForm

    list_display = ["reference", "slot", "status", "party_size", "channel"]
    list_filter = ["status", "channel"]
    search_fields = ["reference"]
    exclude = ["token"]  # the manage link's secret
    inlines = [BookingEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
