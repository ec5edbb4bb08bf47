"""Configuration pages (/supervisor/setup/): a supervisor adds an office's counters, services
with their steps, contracts and kiosks; a city-wide supervisor adds offices and contractor
companies. Thin views over Django forms.

Who may configure what is ``routing.offices_to_configure`` and
``routing.may_configure_installation``: another office's page is refused with 403. Every
save runs in one transaction inside the request, so django-auditlog's middleware writes
the change, its author and address to the configuration history (``queueing/history.py``);
a new device's key comes from ``services.device_create``, which writes the security audit.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from api.params import query_id
from queueing import routing, services
from queueing.models import ContractorCompany, Device, Office
from queueing.roles import is_supervisor

from . import forms


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context["is_supervisor"] = is_supervisor(request.user)
    return render(request, f"staff/setup/{template}", context, status=status)


def _refused(request: HttpRequest) -> HttpResponse:
    return _page(request, "forbidden.html", {}, status=403)


def _configurable_office(request: HttpRequest, office_id: int) -> Office | None:
    """The office, when this user may configure it (else None: the caller refuses)."""
    get_object_or_404(Office, pk=office_id)
    return routing.offices_to_configure(user=request.user).filter(pk=office_id).first()


def _back_to(office: Office) -> HttpResponse:
    return redirect(f"{reverse('supervisor-setup')}?office={office.pk}")


@login_required
@require_http_methods(["GET"])
def setup_home(request: HttpRequest) -> HttpResponse:
    """The offices this supervisor configures, and the chosen one's counters, services,
    contracts and devices, with the links to add each."""
    offices = routing.offices_to_configure(user=request.user).order_by("id")
    if not is_supervisor(request.user):
        return _refused(request)
    wanted = query_id(request.GET.get("office"))
    office = offices.filter(pk=wanted).first() if wanted is not None else offices.first()
    if wanted is not None and office is None:
        return _refused(request)
    context = {"offices": offices, "office": office,
               "installation": routing.may_configure_installation(user=request.user),
               "companies": ContractorCompany.objects.all()}
    if office is not None:
        context.update({
            "counters": office.counters.prefetch_related("services").order_by("number"),
            "services": office.services.prefetch_related("steps"),
            "contracts": office.contracts.select_related("company"),
            "devices": office.devices.filter(revoked=False).order_by("type", "id"),
        })
    return _page(request, "home.html", context)


def _form_page(request: HttpRequest, *, title: str, form, formset=None,
               office: Office | None = None) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    return _page(request, "form.html", {"title": title, "form": form, "formset": formset,
                                        "office": office}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def office_add(request: HttpRequest) -> HttpResponse:
    """Add an office (本庁・支所・出張所): city-wide supervisors only."""
    if not routing.may_configure_installation(user=request.user):
        return _refused(request)
    form = forms.OfficeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            office = form.save()
        messages.success(request, _("Office %(name)s added.") % {"name": office.name})
        return _back_to(office)
    return _form_page(request, title=_("Add an office"), form=form)


@login_required
@require_http_methods(["GET", "POST"])
def company_add(request: HttpRequest) -> HttpResponse:
    """Add a contractor company (委託事業者): city-wide supervisors only."""
    if not routing.may_configure_installation(user=request.user):
        return _refused(request)
    form = forms.ContractorCompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            company = form.save()
        messages.success(request, _("Contractor company %(name)s added.")
                         % {"name": company.name})
        return redirect("supervisor-setup")
    return _form_page(request, title=_("Add a contractor company"), form=form)


@login_required
@require_http_methods(["GET", "POST"])
def counter_add(request: HttpRequest, office_id: int) -> HttpResponse:
    """Add a counter to an office: contractor-run (委託) or staff (職員), and its services."""
    office = _configurable_office(request, office_id)
    if office is None:
        return _refused(request)
    form = forms.CounterForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            counter = form.save()
        messages.success(request, _("Counter %(number)s added.") % {"number": counter.number})
        return _back_to(office)
    return _form_page(request, title=_("Add a counter"), form=form, office=office)


@login_required
@require_http_methods(["GET", "POST"])
def service_add(request: HttpRequest, office_id: int) -> HttpResponse:
    """Add a service to an office with its steps, in order, each for a kind of counter."""
    office = _configurable_office(request, office_id)
    if office is None:
        return _refused(request)
    form = forms.ServiceForm(request.POST or None, office=office)
    steps = forms.StepFormSet(request.POST or None, instance=form.instance, prefix="steps")
    if request.method == "POST" and form.is_valid() and steps.is_valid():
        with transaction.atomic():
            service = form.save()
            steps.instance = service
            steps.save()
        messages.success(request, _("Service %(name)s added.") % {"name": service.name})
        return _back_to(office)
    return _form_page(request, title=_("Add a service"), form=form, formset=steps,
                      office=office)


@login_required
@require_http_methods(["GET", "POST"])
def contract_add(request: HttpRequest, office_id: int) -> HttpResponse:
    """Add a contract of an office with a contractor company: while it is in force, the
    company's accounts work at the office's contractor counters."""
    office = _configurable_office(request, office_id)
    if office is None:
        return _refused(request)
    form = forms.ContractForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contract = form.save()
        messages.success(request, _("Contract %(name)s added.") % {"name": contract.name})
        return _back_to(office)
    return _form_page(request, title=_("Add a contract"), form=form, office=office)


@login_required
@require_http_methods(["GET", "POST"])
def device_add(request: HttpRequest, office_id: int) -> HttpResponse:
    """Add a kiosk or lobby display to an office; its address (with its key) is shown once."""
    office = _configurable_office(request, office_id)
    if office is None:
        return _refused(request)
    form = forms.DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.device_create(office=office, type=form.cleaned_data["type"],
                                        name=form.cleaned_data["name"], by=request.user)
        name = "kiosk-start" if device.type == Device.Type.KIOSK else "display-page"
        return _page(request, "device_added.html", {
            "office": office, "device": device,
            "address": request.build_absolute_uri(reverse(name, args=[device.key]))})
    return _form_page(request, title=_("Add a kiosk or display"), form=form, office=office)
