"""Configuration pages (/supervisor/setup/): a supervisor adds an office's counters, services
with their steps, contracts and kiosks; a city-wide supervisor adds offices and contractor
companies. Thin views over Django forms.

Who may configure what is ``routing.offices_to_configure`` and
``routing.may_configure_installation``: another office's page is refused with 403. Every
save runs in one transaction inside the request, so django-auditlog's middleware writes
the change, its author and address to the configuration history (``queueing/history.py``);
a new device's key comes from ``services.device_create``, which writes the security audit.
"""

import functools

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


def _configures_office(view):
    """A page of one office's configuration: signed in, GET or POST, and only for an office
    among ``routing.offices_to_configure`` (else 403); the view gets the office."""
    @login_required
    @require_http_methods(["GET", "POST"])
    @functools.wraps(view)
    def page(request: HttpRequest, office_id: int) -> HttpResponse:
        office = _configurable_office(request, office_id)
        if office is None:
            return _refused(request)
        return view(request, office)
    return page


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


def _save_or_show(request: HttpRequest, form, *, title: str, done, back,
                  office: Office | None = None, formset=None) -> HttpResponse:
    """Save a valid form (and its formset) in one transaction, say ``done(saved)`` and go
    ``back(saved)``; else show the form again with its errors (400 after a POST)."""
    valid = form.is_valid() & (formset is None or formset.is_valid())  # both show errors
    if request.method == "POST" and valid:
        with transaction.atomic():
            saved = form.save()
            if formset is not None:
                formset.instance = saved
                formset.save()
        messages.success(request, done(saved))
        return back(saved)
    status = 400 if request.method == "POST" else 200
    return _page(request, "form.html", {"title": title, "form": form, "formset": formset,
                                        "office": office}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def office_add(request: HttpRequest) -> HttpResponse:
    """Add an office (本庁・支所・出張所): city-wide supervisors only."""
    if not routing.may_configure_installation(user=request.user):
        return _refused(request)
    return _save_or_show(
        request, forms.OfficeForm(request.POST or None), title=_("Add an office"),
        done=lambda office: _("Office %(name)s added.") % {"name": office.name}, back=_back_to)


@login_required
@require_http_methods(["GET", "POST"])
def company_add(request: HttpRequest) -> HttpResponse:
    """Add a contractor company (委託事業者): city-wide supervisors only."""
    if not routing.may_configure_installation(user=request.user):
        return _refused(request)
    return _save_or_show(
        request, forms.ContractorCompanyForm(request.POST or None),
        title=_("Add a contractor company"),
        done=lambda company: _("Contractor company %(name)s added.") % {"name": company.name},
        back=lambda company: redirect("supervisor-setup"))


@_configures_office
def counter_add(request: HttpRequest, office: Office) -> HttpResponse:
    """Add a counter to an office: contractor-run (委託) or staff (職員), and its services."""
    return _save_or_show(
        request, forms.CounterForm(request.POST or None, office=office),
        title=_("Add a counter"), office=office, back=lambda counter: _back_to(office),
        done=lambda counter: _("Counter %(number)s added.") % {"number": counter.number})


@_configures_office
def service_add(request: HttpRequest, office: Office) -> HttpResponse:
    """Add a service to an office with its steps, in order, each for a kind of counter."""
    form = forms.ServiceForm(request.POST or None, office=office)
    return _save_or_show(
        request, form, title=_("Add a service"), office=office,
        formset=forms.StepFormSet(request.POST or None, instance=form.instance, prefix="steps"),
        done=lambda service: _("Service %(name)s added.") % {"name": service.name},
        back=lambda service: _back_to(office))


@_configures_office
def contract_add(request: HttpRequest, office: Office) -> HttpResponse:
    """Add a contract of an office with a contractor company: while it is in force, the
    company's accounts work at the office's contractor counters."""
    return _save_or_show(
        request, forms.ContractForm(request.POST or None, office=office),
        title=_("Add a contract"), office=office, back=lambda contract: _back_to(office),
        done=lambda contract: _("Contract %(name)s added.") % {"name": contract.name})


@_configures_office
def device_add(request: HttpRequest, office: Office) -> HttpResponse:
    """Add a kiosk or lobby display to an office; its address (with its key) is shown once."""
    form = forms.DeviceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.device_create(office=office, type=form.cleaned_data["type"],
                                        name=form.cleaned_data["name"], by=request.user)
        name = "kiosk-start" if device.type == Device.Type.KIOSK else "display-page"
        return _page(request, "device_added.html", {
            "office": office, "device": device,
            "address": request.build_absolute_uri(reverse(name, args=[device.key]))})
    status = 400 if request.method == "POST" else 200
    return _page(request, "form.html", {"title": _("Add a kiosk or display"), "form": form,
                                        "office": office}, status=status)
