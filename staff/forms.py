"""The supervisors' configuration forms: an office (branch), a counter, a service with its
steps, a contractor company, a contract, a kiosk or display.

Labels are translatable (the model's own labels are the admin's Japanese); every form
refuses and never shows back an Individual Number (``NeverEchoesModelForm``).
"""

from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from queueing.models import (
    Contract,
    ContractorCompany,
    Counter,
    CounterService,
    Device,
    Kind,
    Office,
    Service,
    Step,
)
from queueing.privacy import FreeTextFormField, NeverEchoes, NeverEchoesModelForm

COUNTER_KINDS = [(Kind.OUTSOURCED, pgettext_lazy("counter kind", "Contractor (委託)")),
                 (Kind.STAFF_ONLY, pgettext_lazy("counter kind", "Municipal staff (職員)"))]
STEP_KINDS = [(Kind.OUTSOURCED, pgettext_lazy("step kind", "Contractor counter")),
              (Kind.STAFF_ONLY, pgettext_lazy("step kind", "Staff counter"))]
DEVICE_TYPES = [(Device.Type.KIOSK, _("Kiosk")), (Device.Type.DISPLAY, _("Lobby display"))]


class OfficeForm(NeverEchoesModelForm):
    """A new office: the main office or a branch (本庁・支所・出張所)."""

    class Meta:
        model = Office
        fields = ["code", "name"]
        labels = {"code": _("Code"), "name": _("Office name")}
        help_texts = {"code": _("Letters, digits and hyphens, used in addresses (e.g. "
                                "kita-branch).")}


class CounterForm(NeverEchoesModelForm):
    """A new counter of an office: its number, kind and the services it serves."""

    kind = forms.ChoiceField(label=_("Run by"), choices=COUNTER_KINDS,
                             widget=forms.RadioSelect)
    services = forms.ModelMultipleChoiceField(
        label=_("Services it serves"), queryset=Service.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A contractor counter calls the services' contractor steps, a staff "
                    "counter their staff steps."))

    class Meta:
        model = Counter
        fields = ["number", "label", "kind"]
        labels = {"number": _("Counter number"), "label": _("Label")}
        help_texts = {"number": _("The 3 of \"counter 3\", as the lobby display calls it.")}

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, instance=Counter(office=office), **kwargs)
        self.fields["services"].queryset = Service.objects.filter(office=office)

    def save(self, commit: bool = True) -> Counter:
        """The counter and one row per service it serves, ranked in the list's order."""
        counter = super().save()
        CounterService.objects.bulk_create(
            CounterService(counter=counter, service=service, rank=rank)
            for rank, service in enumerate(self.cleaned_data["services"]))
        return counter


class ServiceForm(NeverEchoesModelForm):
    """A new service of an office, placed after the office's last service on the kiosk."""

    class Meta:
        model = Service
        fields = ["code", "name", "prefix", "target_wait_minutes", "default_service_minutes"]
        labels = {"code": _("Code"), "name": _("Name (Japanese)"),
                  "prefix": _("Ticket letter"), "target_wait_minutes": _("Target wait (minutes)"),
                  "default_service_minutes": _("Usual time at the counter (minutes)")}
        help_texts = {"code": _("Letters and digits, one per service of the office (e.g. "
                                "juminhyo)."),
                      "default_service_minutes": _("Used for the wait estimate until the "
                                                   "day's own times are known."),
                      "prefix": _("One or two capital letters (e.g. A)."),
                      "name": _("Shown on the kiosk and the lobby display.")}

    def __init__(self, *args, office: Office, **kwargs):
        last = Service.objects.filter(office=office).aggregate(last=Max("sort_order"))["last"]
        instance = Service(office=office, sort_order=0 if last is None else last + 1)
        super().__init__(*args, instance=instance, **kwargs)


class StepForm(NeverEchoesModelForm):
    """One step of a new service; its order is its place in the list."""

    # An empty first choice: a row left blank stays unchanged and is not saved.
    kind = forms.ChoiceField(label=_("Where"), choices=[("", "—"), *STEP_KINDS])

    class Meta:
        model = Step
        fields = ["name", "kind"]
        labels = {"name": _("Step name (Japanese)")}


class OrderedSteps(forms.BaseInlineFormSet):
    """The steps in their typed order (1, 2, ...), blank rows left out."""

    def save(self, commit: bool = True) -> list[Step]:
        """Number the filled rows in order and save them."""
        steps = super().save(commit=False)
        for order, step in enumerate(steps, start=1):
            step.order = order
            step.save()
        return steps


StepFormSet = forms.inlineformset_factory(
    Service, Step, form=StepForm, formset=OrderedSteps, extra=3, min_num=1, validate_min=True,
    max_num=10, can_delete=False)


class ContractorCompanyForm(NeverEchoesModelForm):
    """A new contractor company (委託事業者)."""

    class Meta:
        model = ContractorCompany
        fields = ["name"]
        labels = {"name": _("Company name")}
        help_texts = {"name": _("The company, never a person's name.")}


class ContractForm(NeverEchoesModelForm):
    """A new contract of an office with a contractor company: while it is in force, the
    company's accounts work at the office's contractor counters."""

    class Meta:
        model = Contract
        fields = ["company", "name", "starts_on", "ends_on", "tax_percent"]
        labels = {"company": _("Contractor company"), "name": _("Contract name"),
                  "starts_on": _("Starts on"), "ends_on": _("Ends on"),
                  "tax_percent": _("Consumption tax (%)")}
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}),
                   "ends_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, instance=Contract(office=office), **kwargs)

    def clean(self):
        """The contract ends on or after the day it starts."""
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The contract ends before it starts."))
        return cleaned


class DeviceForm(NeverEchoes, forms.Form):
    """A new kiosk or lobby display of an office (its key comes from ``device_create``)."""

    type = forms.ChoiceField(label=_("Device"), choices=DEVICE_TYPES, widget=forms.RadioSelect)
    name = FreeTextFormField(label=_("Name"), max_length=100,
                           help_text=_("Where it stands (e.g. 1F entrance)."))
