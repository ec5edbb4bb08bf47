"""Tickets taken on a phone (Web 整理券): ``/join/<office code>/``.

A resident opens the page from the lobby's QR code (or, where the office allows it, from
the city's website), picks a service and gets a ticket through ``ticket_issue``: the same
numbering, routing, reception hours and audit row as at the kiosk, and the same status
page afterwards. The office's ``phone_join`` setting says whether the page is offered and
whether the lobby display's presence code (queueing/presence_code.py) must be typed.

Abuse limits: the kiosk's availability (reception hours) decides which services take a
ticket; a signed cookie holds the phone's ticket, and while that ticket is open the page
shows it instead of issuing another; every try counts against the client address's rate
(setting ``PHONE_TICKET_RATE``); a wrong or expired code is refused in plain words.
"""

from django import forms
from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle

from queueing import selectors as queue_selectors
from queueing import services as queue_services
from queueing.errors import QueueError
from queueing.languages import language_or, render_in_language
from queueing.models import Office, Service, Ticket
from queueing.presence_code import presence_code_accepted
from queueing.privacy import MESSAGE as INDIVIDUAL_NUMBER_REFUSED
from queueing.privacy import FreeTextFormField, NeverEchoes

from . import selectors

COOKIE = "phone_ticket"
COOKIE_SALT = "kiosk.phone.ticket"
COOKIE_MAX_AGE = 24 * 3600  # a status link is valid for its business day only anyway


class PhoneTicketRateThrottle(SimpleRateThrottle):
    """Tries per client address (setting ``PHONE_TICKET_RATE``), counted in Django's cache.

    The address is ``REMOTE_ADDR`` (the ASGI server's ``--proxy-headers`` takes it from nginx),
    never a header the client sent.
    """

    scope = "phone_ticket"

    def get_rate(self) -> str:
        """The rate from the project's setting (this page is no API view)."""
        return settings.PHONE_TICKET_RATE

    def get_cache_key(self, request, view) -> str:
        """One count per client address, signed in or not."""
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class JoinForm(NeverEchoes, forms.Form):
    """The phone page's form: the presence code (when the office asks for it) and a service."""

    code = FreeTextFormField(max_length=20, required=False)
    service = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args, service_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [(i, i) for i in service_ids]


def _language(request: HttpRequest) -> str:
    # A phone brings its own language (LocaleMiddleware read Accept-Language); ?lang= wins.
    return language_or(request.GET.get("lang"), language_or(translation.get_language()))


def _phone_ticket(request: HttpRequest) -> Ticket | None:
    """The ticket this phone took, while it is still open (waiting, called, serving, held)."""
    try:
        token = request.get_signed_cookie(COOKIE, salt=COOKIE_SALT, max_age=COOKIE_MAX_AGE)
    except (KeyError, BadSignature):
        return None
    ticket = queue_selectors.ticket_by_token(token=token)
    return ticket if ticket is not None and ticket.status in Ticket.OPEN else None


def _to_status_page(ticket: Ticket, lang: str) -> HttpResponse:
    return redirect(reverse("ticket-status-page", args=[ticket.token]) + f"?lang={lang}")


def phone_join(request: HttpRequest, office_code: str) -> HttpResponse:
    """The phone ticket page: the services taking tickets now, the code, the issue."""
    lang = _language(request)
    office = Office.objects.filter(code=office_code).first()
    if office is None or office.phone_join == Office.PhoneJoin.OFF:
        return render_in_language(request, "kiosk/phone_off.html", lang, {"office": office},
                                  status=404)
    held = _phone_ticket(request)
    if held is not None and request.method == "POST":
        return _to_status_page(held, lang)  # one open ticket per phone: pressing again shows it
    with translation.override(lang):
        rows = [r for r in selectors.kiosk_services(office_id=office.pk, language=lang,
                                                     at=timezone.now()) if r["open"]]
    needs_code = office.phone_join == Office.PhoneJoin.LOBBY
    form = JoinForm(request.POST if request.method == "POST" else None,
                    service_ids=[r["service_id"] for r in rows])
    error, status = "", 200
    if request.method == "POST" and held is None:
        with translation.override(lang):
            ticket, error, status = _issue(request, office, form, needs_code, lang)
        if ticket is not None:
            response = _to_status_page(ticket, lang)
            response.set_signed_cookie(COOKIE, ticket.token, salt=COOKIE_SALT,
                                       max_age=COOKIE_MAX_AGE, secure=request.is_secure(),
                                       httponly=True, samesite="Lax")
            return response
    return render_in_language(request, "kiosk/phone_join.html", lang, {
        "office": office, "services": rows, "needs_code": needs_code, "form": form,
        "error": error, "held": held,
        "held_url": reverse("ticket-status-page", args=[held.token]) + f"?lang={lang}"
        if held else "",
    }, status=status)


def _service_closed() -> str:
    return _("This service is not taking tickets now. Please choose another.")


def _issue(request: HttpRequest, office: Office, form: JoinForm, needs_code: bool,
           lang: str) -> tuple[Ticket | None, str, int]:
    """Check the limits, then issue: (ticket, "", 200) or (None, what to tell, status)."""
    if not PhoneTicketRateThrottle().allow_request(request, None):
        return None, _("Too many tries from this network in a short time. Please wait a "
                       "while, or take a ticket at the kiosk in the lobby."), 429
    if not form.is_valid():
        if any(e.code == "individual_number" for e in form.errors.as_data().get("code", [])):
            return None, str(INDIVIDUAL_NUMBER_REFUSED), 400
        return None, _service_closed(), 400
    if needs_code and not presence_code_accepted(office_id=office.pk,
                                                 code=form.cleaned_data["code"]):
        return None, _("This code is wrong or has expired. Please type the code now shown "
                       "on the screen in the lobby."), 400
    service = Service.objects.get(pk=form.cleaned_data["service"], office=office)
    try:
        ticket = queue_services.ticket_issue(service=service, language=lang)
    except QueueError:
        return None, _service_closed(), 409
    return ticket, "", 200
