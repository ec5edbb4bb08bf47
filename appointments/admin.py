"""Admin: schedules with their rules, the slot generation action, read-only bookings and audit.

Saving a schedule or any of its rules (weekly hours, closures, extra openings)
regenerates its slots in the same transaction, and lists the bookings inside a
new closure: they are kept, their page asks the resident to rebook, and the
scheduled job e-mails them (``bookings_notify``).
"""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from queueing.admin import NeverEchoesInline
from queueing.languages import day_with_weekday
from queueing.privacy import NeverEchoesModelForm

from . import notices, services
from .models import (
    Booking,
    BookingEvent,
    ClosedDay,
    ExtraOpening,
    NoticeList,
    Schedule,
    Slot,
    WeeklyRule,
)


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
        report_applied(modeladmin, request, schedule, services.schedule_apply(schedule=schedule))


def slots_generated_message(schedule: Schedule, counts: dict[str, int]) -> str:
    """What slot generation did, as a sentence a clerk reads."""
    return (f"{schedule}: 予約枠を{counts['created']}件作成、{counts['updated']}件更新、"
            f"{counts['removed']}件削除しました。予約のある{counts['kept_booked']}件は"
            "変更していません。")


def report_applied(modeladmin, request, schedule: Schedule,
                   applied: services.ScheduleApplied) -> None:
    """Tell the clerk what regenerating a schedule's slots did, and which bookings now fall
    inside a closure (reference and time only, as the booking list shows)."""
    modeladmin.message_user(request, slots_generated_message(schedule, applied.counts),
                            messages.SUCCESS)
    if applied.closed_bookings:
        modeladmin.message_user(request, closed_bookings_message(applied.closed_bookings),
                                messages.WARNING)


def _how_told(b: Booking) -> str:
    if b.status == Booking.Status.HELD:
        return "(仮押さえ中: 確定はできません)"
    if b.email:
        return "(メールでお知らせします)"
    return "(メールがありません。電話などでお知らせください)"


def closed_bookings_message(bookings: list[Booking]) -> str:
    """The bookings inside a new closure, as a list a clerk acts on."""
    rows = format_html_join("", "<li>{} {} {} {}名 {}</li>", (
        (b.reference, day_with_weekday(b.slot.start),
         timezone.localtime(b.slot.start).strftime("%H:%M"), b.party_size,
         _how_told(b))
        for b in bookings))
    return format_html(
        "休業にした日時に予約が{}件あります。予約は削除せずに残し、予約できない枠にしました。"
        "ご本人の予約ページには休業と日時の変更方法が表示され、メールアドレスのある方には"
        "数分以内に変更をお願いするメールが送られます。<ul>{}</ul>", len(bookings), rows)


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = NeverEchoesModelForm
    list_display = ["office", "service", "slot_minutes", "earliest_days", "latest_days",
                    "change_deadline_days", "max_party", "evening_cutoff", "active"]
    inlines = [WeeklyRuleInline, ClosedDayInline, ExtraOpeningInline]
    actions = [generate_slots]

    def save_related(self, request, form, formsets, change):
        """Save the rules, then regenerate the slots in the same transaction (a closure or a
        changed opening takes effect at once) and report what that did."""
        super().save_related(request, form, formsets, change)
        report_applied(self, request, form.instance,
                       services.schedule_apply.within_transaction(schedule=form.instance))


@admin.register(Slot)
class SlotAdmin(admin.ModelAdmin):
    form = NeverEchoesModelForm
    list_display = ["start", "schedule", "capacity", "seats_taken", "closed"]
    list_filter = ["schedule", "closed"]
    date_hierarchy = "start"
    # Seats change only through the booking services (conditional update); closed only
    # through slot generation (a closure saved in the schedule).
    readonly_fields = ["seats_taken", "closed"]


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


class NoticeListForm(NeverEchoesModelForm):
    """An office and the CSV export of its notices; saving replaces the office's list."""

    csv_file = forms.FileField(
        label="CSVファイル",
        help_text="カード管理システムから出力した、1行に交付通知書の番号と生年月日 "
                  "(例: ABC-123456,1990-07-15) のCSV。保存すると、この庁舎の一覧を置き換えます。"
                  "生年月日はそのままは保存しません。")

    class Meta:
        model = NoticeList
        fields = ["office"]


@admin.register(NoticeList)
class NoticeListAdmin(admin.ModelAdmin):
    """Import (and replace) an office's notice list; deleting it erases the list, and the
    office's bookings are then checked by the notice number's shape only, as before."""

    form = NoticeListForm
    list_display = ["office", "entries_count", "imported_at"]
    readonly_fields = ["imported_at", "entries_count", "report"]

    def save_model(self, request, obj, form, change):
        """Replace the list by the uploaded rows and say what was taken and refused."""
        report = notices.notice_list_replace.within_transaction(
            notice_list=obj, csv_bytes=form.cleaned_data["csv_file"].read())
        self.message_user(request, f"{obj.office}: 交付通知書を{report.imported}件取り込みました。"
                          f"取り込まなかった行は{len(report.refused)}件です"
                          + (f" ({report.text()})。" if report.refused else "。"),
                          messages.WARNING if report.refused else messages.SUCCESS)
