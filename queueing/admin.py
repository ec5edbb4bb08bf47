"""Admin for the day's configuration: offices, services and steps, counters, devices, the
reasons offered at counters, the contract's units, the contract (委託契約) itself, the
contractor companies (委託事業者), and on each staff account its company or its offices.

Every form here is ``NeverEchoesModelForm`` (a refused Individual Number is
never shown back); every change is in the configuration history
(``queueing/history.py``); device keys are issued and revoked through the
services, which write the security audit; audit rows are read-only.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.db.models import Max

from . import services
from .models import (
    Contract,
    ContractLevel,
    ContractorCompany,
    ContractorStaff,
    ContractPrice,
    Counter,
    CounterPresence,
    CounterService,
    Device,
    Office,
    OfficeClosure,
    OfficeExtraOpening,
    OfficeHours,
    OfficeStaff,
    PresetReason,
    SecurityEvent,
    Service,
    SpecialDay,
    Step,
    StepUnit,
    Ticket,
    TicketEvent,
    Unit,
)
from .privacy import FreeTextFormField, NeverEchoes, NeverEchoesModelForm


class AdminSignInForm(NeverEchoes, AdminAuthenticationForm):
    """The admin's sign-in form: a typed Individual Number is never shown back."""


admin.site.login_form = AdminSignInForm


class NeverEchoesInline(admin.TabularInline):
    """A table of related rows in the admin, refusing and never showing back an
    Individual Number, with no empty rows added by default."""

    form = NeverEchoesModelForm
    extra = 0


def names_field(code: str) -> str:
    """The form field holding a name's translation into one language (names_pt_br)."""
    return "names_" + code.replace("-", "_")


class TranslatedNamesForm(NeverEchoesModelForm):
    """A form for a model with a Japanese ``name`` and its ``names`` per language: one input
    per language of settings.LANGUAGES (Japanese is ``name`` itself), assembled into the
    JSON on save, never a raw JSON box. Empty inputs are left out (the name falls back to
    Japanese)."""

    LANGUAGES = [(code, label) for code, label in settings.LANGUAGES if code != "ja"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = self.instance.names or {}
        for code, _ in self.LANGUAGES:
            self.initial.setdefault(names_field(code), names.get(code, ""))

    def _post_clean(self):
        """Put the per-language inputs into ``names`` before the model is validated."""
        self.instance.names = {
            code: text for code, _ in self.LANGUAGES
            if (text := (self.cleaned_data.get(names_field(code)) or "").strip())}
        super()._post_clean()


# Declared on the class (not per instance) so the admin lays them out in the form.
_name_inputs = {names_field(code): FreeTextFormField(label=f"名称 ({label})", required=False,
                                                     max_length=100)
                for code, label in TranslatedNamesForm.LANGUAGES}
TranslatedNamesForm.declared_fields.update(_name_inputs)
TranslatedNamesForm.base_fields.update(_name_inputs)


class ServiceForm(TranslatedNamesForm):
    """A service: its names per language, and a new one placed after the office's last
    service on the kiosk unless a display order is given."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "sort_order" in self.fields:
            self.fields["sort_order"].required = False

    def clean(self):
        """An empty display order: after the office's last service."""
        cleaned = super().clean()
        office = cleaned.get("office")
        if cleaned.get("sort_order") is None and office is not None:
            last = (Service.objects.filter(office=office).exclude(pk=self.instance.pk)
                    .aggregate(last=Max("sort_order"))["last"])
            cleaned["sort_order"] = 0 if last is None else last + 1
        return cleaned


class TranslatedNamesLayout:
    """Admin mixin: the per-language inputs right after the Japanese name, no JSON box."""

    exclude = ["names"]

    def get_fields(self, request, obj=None):
        """The form's fields with the translations moved to follow ``name``."""
        fields = [f for f in super().get_fields(request, obj) if f not in _name_inputs]
        at = fields.index("name") + 1 if "name" in fields else len(fields)
        return [*fields[:at], *_name_inputs, *fields[at:]]


class StepInline(TranslatedNamesLayout, NeverEchoesInline):
    model = Step
    form = TranslatedNamesForm


class CounterServiceInline(NeverEchoesInline):
    model = CounterService


class PresetReasonInline(NeverEchoesInline):
    model = PresetReason


class OfficeHoursInline(NeverEchoesInline):
    """開庁時間: the weekly hours for walk-in tickets (none at all: open every day)."""

    model = OfficeHours


class OfficeClosureInline(NeverEchoesInline):
    """臨時閉庁日: no walk-in ticket that day (祝日・年末年始 are closed without a row)."""

    model = OfficeClosure


class OfficeExtraOpeningInline(NeverEchoesInline):
    """休日開庁・夜間窓口: one date (opens even on a holiday) or every week on a weekday."""

    model = OfficeExtraOpening


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    """An office, its reasons and its walk-in calendar (hours, closures, extra openings)."""

    form = NeverEchoesModelForm
    list_display = ["name", "code", "recall_limit", "no_show_limit", "no_show_cooldown_minutes",
                    "phone_join"]
    readonly_fields = ["event_version"]
    inlines = [PresetReasonInline, OfficeHoursInline, OfficeClosureInline,
               OfficeExtraOpeningInline]


class StepUnitInline(NeverEchoesInline):
    model = StepUnit


@admin.register(Step)
class StepAdmin(TranslatedNamesLayout, admin.ModelAdmin):
    """A step's units and their defaults: what its counter records in one key press."""

    form = TranslatedNamesForm
    list_display = ["__str__", "kind"]
    list_filter = ["service__office", "kind"]
    inlines = [StepUnitInline]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    form = NeverEchoesModelForm
    list_display = ["name", "code", "measure", "office", "sort_order"]
    list_filter = ["office", "measure"]


class ContractPriceInline(NeverEchoesInline):
    model = ContractPrice


class ContractLevelInline(NeverEchoesInline):
    model = ContractLevel


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    """The contract: its period, unit prices, service levels and their deductions."""

    form = NeverEchoesModelForm
    list_display = ["name", "company", "office", "starts_on", "ends_on", "tax_percent"]
    list_filter = ["office", "company"]
    inlines = [ContractPriceInline, ContractLevelInline]


class ContractInline(NeverEchoesInline):
    model = Contract
    fields = ["name", "office", "starts_on", "ends_on"]
    show_change_link = True


class ContractorStaffInline(NeverEchoesInline):
    model = ContractorStaff
    verbose_name_plural = "従事者のアカウント"


@admin.register(ContractorCompany)
class ContractorCompanyAdmin(admin.ModelAdmin):
    """A contractor company (委託事業者): its contracts and its staff accounts, who work only
    at the outsourced counters of the offices of its contracts in force."""

    form = NeverEchoesModelForm
    list_display = ["name"]
    search_fields = ["name"]
    inlines = [ContractInline, ContractorStaffInline]


@admin.register(Service)
class ServiceAdmin(TranslatedNamesLayout, admin.ModelAdmin):
    """Services: their names per language, kiosk hours and display order."""

    form = ServiceForm
    list_display = ["prefix", "name", "office", "target_wait_minutes", "available_from",
                    "available_until", "reception_end_minutes", "daily_ticket_cap", "active"]
    list_filter = ["office", "active"]
    inlines = [StepInline]

    def get_changeform_initial_data(self, request):
        """A new service's display order starts empty: it goes after the last one."""
        return {"sort_order": None, **super().get_changeform_initial_data(request)}


@admin.register(Counter)
class CounterAdmin(admin.ModelAdmin):
    form = NeverEchoesModelForm
    list_display = ["number", "label", "kind", "status", "office"]
    list_filter = ["office", "kind", "status"]
    # Kept by the consoles and the presence services (open only while someone is there).
    readonly_fields = ["status", "staffed"]
    inlines = [CounterServiceInline]


class DeviceForm(NeverEchoesModelForm):
    """A device: a display's announcement languages ticked from the installation's list,
    never typed as JSON."""

    languages = forms.MultipleChoiceField(
        label="案内の言語", required=False, choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text="呼出表示のみ: 日本語のほかに案内する言語")


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    """Devices: a new one gets its key from ``device_create``; keys are revoked by the action
    (``device_revoke``), never by editing, so each is in the security audit."""

    form = DeviceForm
    list_display = ["name", "type", "office", "revoked", "paused"]
    list_filter = ["type", "revoked"]
    readonly_fields = ["key", "revoked"]
    filter_horizontal = ["services"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        """A new device through the service (its key creation is audited), inside the
        admin's own transaction for the form."""
        if change:
            return super().save_model(request, obj, form, change)
        created = services.device_create.within_transaction(
            office=obj.office, type=obj.type, name=obj.name, by=request.user,
            languages=obj.languages, paused=obj.paused, pause_message=obj.pause_message)
        obj.pk, obj.key, obj._state.adding = created.pk, created.key, False
        return None

    @admin.action(description="鍵を失効させる (revoke the key)")
    def revoke(self, request, queryset):
        """Revoke the selected devices' keys: their sockets close within seconds."""
        for device in queryset:
            services.device_revoke(device=device, by=request.user)
        self.message_user(request, f"{queryset.count()} 台の鍵を失効させました。 Keys revoked.",
                          messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """An audit trail in the admin: to read, never to add, change or delete."""

    form = NeverEchoesModelForm

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in TicketEvent._meta.fields if f.name != "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Read-only: tickets change only through the counter actions (and their audit)."""

    list_display = ["number_shown", "business_day", "service", "step", "status", "counter"]
    list_filter = ["office", "business_day", "status"]
    exclude = ["token"]  # the status page's secret
    inlines = [TicketEventInline]

    @admin.display(description="番号", ordering="number")
    def number_shown(self, ticket: Ticket) -> str:
        """The number residents see and hear (A001)."""
        return ticket.display_number


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """Sign-ins, failures, lock-outs, device keys (supervisors read and export it at
    /supervisor/audit/)."""

    list_display = ["at", "action", "actor", "username", "address", "device", "detail"]
    list_filter = ["action"]


class ContractorOfAccountInline(admin.StackedInline):
    """A contractor account's company (exactly one)."""

    model = ContractorStaff
    form = NeverEchoesModelForm
    extra = 0
    max_num = 1
    verbose_name = verbose_name_plural = "所属する委託事業者 (委託のアカウントのみ)"


class OfficesOfAccountInline(NeverEchoesInline):
    """A municipal staff member's or supervisor's offices (one row per office)."""

    model = OfficeStaff
    verbose_name_plural = "所属庁舎 (職員・監督者のアカウント)"


class AuditedUserAdmin(UserAdmin):
    """Staff accounts, with forms that never show a refused Individual Number back, and
    where each works: a contractor account's company, city staff's offices."""

    form = type("UserForm", (NeverEchoes, UserChangeForm), {})
    add_form = type("UserAddForm", (NeverEchoes, AdminUserCreationForm), {})
    inlines = [ContractorOfAccountInline, OfficesOfAccountInline]


class AuditedGroupAdmin(GroupAdmin):
    form = NeverEchoesModelForm


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, AuditedGroupAdmin)


@admin.register(SpecialDay)
class SpecialDayAdmin(admin.ModelAdmin):
    """Days the forecast cannot know from the calendar (交付通知書の発送, 申請期限 ...)."""

    form = NeverEchoesModelForm
    list_display = ["date", "label", "kind", "service", "factor", "office"]
    list_filter = ["office", "kind"]
    date_hierarchy = "date"


@admin.register(CounterPresence)
class CounterPresenceAdmin(ReadOnlyAdmin):
    """Read-only: who is signed in at which counter (by role), kept by the consoles."""

    list_display = ["counter", "role", "started_at", "seen_at", "left_at", "left_reason"]
    list_filter = ["counter__office", "role", "left_reason"]
    exclude = ["session_key", "socket"]
