"""Kiosk pages (touch ticketing, printed ticket, staff maintenance) and the resident status page.

Issuing and check-in go through the API (``/api/v1/tickets/``,
``/api/v1/kiosk/check-in/``) from the kiosk page's script with the device key,
so authentication, the per-device rate limit and validation have one home.
"""

from typing import NamedTuple

from django import forms
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from appointments import selectors as booking_selectors
from queueing import holidays, hours
from queueing import selectors as queue_selectors
from queueing.errors import QueueError
from queueing.languages import DEFAULT as START_LANGUAGE  # kiosks return to it when idle
from queueing.languages import language_or, render_in_language
from queueing.models import Device
from queueing.privacy import MESSAGE as INDIVIDUAL_NUMBER_REFUSED
from queueing.privacy import FreeTextFormField, NeverEchoes
from queueing.qrcodes import qr_svg
from queueing.selectors import device_by_key

from . import selectors, services
from .links import status_url


def _language(request: HttpRequest, default: str) -> str:
    return language_or(request.GET.get("lang"), default)


def _forbidden(request, lang: str) -> HttpResponse:
    return render_in_language(request, "kiosk/forbidden.html", lang, {}, status=403)


def _kiosk(key: str) -> Device | None:
    return device_by_key(key=key, type=Device.Type.KIOSK)


# --- kiosk -------------------------------------------------------------------


def _closed_reason(row: dict) -> str:
    """Why a service takes no ticket now, and when it opens next, in the kiosk's language."""
    reason, why = row["closed_reason"], row.get("closed_why", "")
    if reason == hours.NOT_YET:
        return _("Opens at %(time)s") % {"time": time_format(row["available_from"], "H:i")}
    if reason == hours.ENDED:
        text = _("Closed for today (until %(time)s)") % {
            "time": time_format(row["available_until"], "H:i")}
    elif reason == hours.RECEPTION_ENDED:
        text = _("Reception has ended for today")
    elif reason == hours.CLOSED_TODAY and why == holidays.HOLIDAY:
        text = _("Closed today (national holiday)")
    elif reason == hours.CLOSED_TODAY and why == holidays.YEAR_END:
        text = _("Closed today (New Year holidays)")
    elif reason == hours.CLOSED_TODAY:
        text = _("Closed today")
    elif reason == hours.NO_COUNTER:
        return _("No counter serves this service today")
    elif reason == hours.SOLD_OUT:
        text = _("Today's tickets are all given out")
    else:
        return _("Not available now")
    if row.get("next_open"):
        opens = timezone.localtime(row["next_open"])
        text += " · " + _("Opens next: %(day)s %(time)s") % {
            "day": date_format(opens, "MONTH_DAY_FORMAT"), "time": time_format(opens, "H:i")}
    return text


def _kiosk_messages() -> dict:
    return {
        "issuing": _("Printing your ticket…"),
        "throttled": _("Too many tickets in a short time. Please wait a moment and try again."),
        "service_closed": _("This service is not accepting tickets now."),
        "service_not_served": _("No counter serves this service today."),
        "service_sold_out": _("Today's tickets for this service are all given out."),
        "kiosk_paused": _("Ticket issuing is paused. Please ask a staff member."),
        "service_not_found": _("This service is not available at this kiosk."),
        "forbidden": _("This kiosk is not registered. Please ask a staff member."),
        "error": _("Something went wrong. Please ask a staff member."),
        "empty_reference": _("Please hold your booking's QR code under the scanner."),
        "bad_reference": _("This code is not a booking code. Please ask a staff member."),
        "booking_not_found": _("We could not find this booking."),
        "too_early": _("It is too early to check in. Please come back closer to your time."),
        "too_late": _("You are past your booking time, so your reserved turn has been released."),
        "wrong_day": _("This booking is for another day."),
        "wrong_office": _("This booking is for another office."),
        "booking_cancelled": _("This booking was cancelled."),
        "already_checked_in": _("You have already checked in. Please wait for your number."),
        "check_in_unavailable": _("Check-in is not available. Please ask a staff member."),
        "walk_in": _("Take a ticket without a booking"),
    }


def _check_in_url() -> str:
    # The booking work owns the endpoint; the kiosk degrades to a clear message without it.
    try:
        return reverse("api-kiosk-check-in")
    except NoReverseMatch:
        return "/api/v1/kiosk/check-in/"


def kiosk_start(request: HttpRequest, key: str) -> HttpResponse:
    """The kiosk's start screen: languages, service buttons, assistance option, check-in."""
    lang = _language(request, START_LANGUAGE)
    device = _kiosk(key)
    if device is None:
        return _forbidden(request, lang)
    with translation.override(lang):
        rows = selectors.kiosk_services(
            office_id=device.office_id, language=lang, at=timezone.now())
        for row in rows:
            row["reason"] = "" if row["open"] else _closed_reason(row)
        messages = _kiosk_messages()
    return render_in_language(request, "kiosk/start.html", lang, {
        "device": device,
        "office": device.office,
        "services": rows,
        "messages_js": messages,
        "config_js": {
            "key": device.key,
            "lang": lang,
            "issueUrl": reverse("api-ticket-issue"),
            "checkInUrl": _check_in_url(),
            "ticketUrl": reverse("kiosk-ticket", args=[device.key, "TOKEN"]),
            "startUrl": reverse("kiosk-start", args=[device.key]),
            "idleSeconds": 90,
        },
    })


def _local_or_none(moment):
    return timezone.localtime(moment) if moment is not None else None


def kiosk_ticket(request: HttpRequest, key: str, token: str) -> HttpResponse:
    """The issued ticket on screen and in the 80 mm print view, with its QR code."""
    lang = _language(request, START_LANGUAGE)
    device = _kiosk(key)
    if device is None:
        return _forbidden(request, lang)
    ticket = selectors.kiosk_ticket(device=device, token=token)
    if ticket is None:
        return render_in_language(request, "kiosk/status_404.html", lang, {"kiosk": device},
                                  status=404)
    url = status_url(request, ticket.token)
    with translation.override(lang):
        qr = qr_svg(url, label=_("QR code for your ticket's status page"))
    return render_in_language(request, "kiosk/ticket.html", lang, {
        "device": device,
        "office": device.office,
        "ticket": ticket,
        "status": queue_selectors.ticket_status(ticket=ticket, language=lang),
        "issued_at": timezone.localtime(ticket.issued_at),
        "appointment_at": _local_or_none(booking_selectors.appointment_start(
            office_id=ticket.office_id, reference=ticket.booking_reference)),
        "status_url": url,
        "qr": qr,
        "autoprint": request.GET.get("print") == "1",
        # The next resident starts in Japanese, not in the previous one's language.
        "start_url": reverse("kiosk-start", args=[device.key]),
    })


class MaintenanceForm(NeverEchoes, forms.Form):
    """Staff sign in again for every maintenance action: no session stays on a public kiosk."""

    ACTIONS = [("pause", "pause"), ("resume", "resume"), ("reprint", "reprint")]
    username = forms.CharField(max_length=150)
    password = forms.CharField(max_length=128, widget=forms.PasswordInput)
    action = forms.ChoiceField(choices=ACTIONS)
    message = FreeTextFormField(max_length=200, required=False)


class _Outcome(NamedTuple):
    error: str = ""
    notice: str = ""
    status: int = 200
    redirect_to: str = ""


def kiosk_maintenance(request: HttpRequest, key: str) -> HttpResponse:
    """Staff maintenance: pause issuing with a message, resume, reprint the last ticket."""
    lang = _language(request, START_LANGUAGE)
    device = _kiosk(key)
    if device is None:
        return _forbidden(request, lang)
    form = MaintenanceForm(request.POST or None)
    outcome = _Outcome()
    if request.method == "POST":
        with translation.override(lang):
            outcome = _maintain(request, device, form)
        if outcome.redirect_to:
            return redirect(f"{outcome.redirect_to}?lang={lang}&print=1")
        device.refresh_from_db()
    return render_in_language(request, "kiosk/maintenance.html", lang, {
        "device": device, "office": device.office, "form": form,
        "error": outcome.error, "notice": outcome.notice,
        "start_url": reverse("kiosk-start", args=[device.key]) + f"?lang={lang}",
    }, status=outcome.status)


def _maintain(request, device: Device, form: MaintenanceForm) -> _Outcome:
    if services.maintenance_locked(device=device):
        return _Outcome(_("Too many wrong sign-ins. Please wait 5 minutes."), status=429)
    if not form.is_valid():
        return _Outcome(_("Please fill in your username, password and an action."), status=400)
    data = form.cleaned_data
    user = authenticate(request, username=data["username"], password=data["password"])
    if user is None:
        services.maintenance_sign_in_failed(device=device)
        return _Outcome(_("Wrong username or password."), status=403)
    try:
        if data["action"] == "pause":
            services.kiosk_pause(device=device, by=user, message=data["message"])
            return _Outcome(notice=_("Ticket issuing is paused."))
        if data["action"] == "resume":
            services.kiosk_resume(device=device, by=user)
            return _Outcome(notice=_("Ticket issuing has resumed."))
        services.ensure_may_maintain(device=device, user=user)
    except QueueError as exc:
        if exc.code == "no_staff_role":
            return _Outcome(
                _("Only municipal staff or a supervisor may use maintenance mode."), status=403)
        if exc.code == "office_not_allowed":
            return _Outcome(_("Only staff of this kiosk's office may use its maintenance mode."),
                            status=403)
        return _Outcome(str(exc.detail), status=exc.status)
    ticket = selectors.kiosk_last_ticket(device=device)
    if ticket is None:
        return _Outcome(_("This kiosk has issued no ticket today."), status=404)
    return _Outcome(redirect_to=reverse("kiosk-ticket", args=[device.key, ticket.token]))


# --- resident status page ----------------------------------------------------------


def _status_messages() -> dict:
    return {
        "waiting": _("Please wait. We will call your number."),
        "called": _("Please go to counter %(counter)s") % {"counter": "{counter}"},
        "serving": _("You are being served at counter %(counter)s.") % {"counter": "{counter}"},
        "held": _("Your ticket is on hold. Please ask at the counter."),
        "completed": _("Thank you. Your visit is complete."),
        "no_show": _("We called your number but could not find you. Please ask at the counter."),
        "cancelled": _("This ticket has been cancelled."),
        "minutes": _("about %(minutes)s min") % {"minutes": "{minutes}"},
        "unknown_wait": _("wait time not known"),
        "next_step": _("Your next step: %(step)s") % {"step": "{step}"},
        "next_where": _("You will be called to counter %(counters)s.") % {
            "counters": "{counters}"},
        "live": _("Live updates on"),
        "reconnecting": _("Reconnecting… the page checks again every 30 seconds."),
        "leave_failed": _("Could not cancel the ticket. Please try again or ask a staff member."),
        "sound_on": _("Sound and vibration are on."),
        "on_my_way_failed": _("Could not send that. Please try again or ask a staff member."),
        # By the API's error code (api/tickets.py TicketNoticeView).
        "notice_invalid_email": _("Enter a valid email address."),
        "notice_individual_number": str(INDIVIDUAL_NUMBER_REFUSED),
        "notice_invalid": _("Enter a valid email address."),
        "notice_error": _("Could not save the address. Please try again or ask a staff member."),
        # By the API's error code (api/tickets.py TicketRatingView).
        "rating_individual_number": str(INDIVIDUAL_NUMBER_REFUSED),
        "rating_comment_too_long": _("The comment is too long (200 characters at most)."),
        "rating_error": _("Could not send your answer. Please try again."),
    }


def _rating_choices() -> list[tuple[int, str]]:
    """The satisfaction scale of the status page, best first (the model's 1 to 5)."""
    return [
        (5, pgettext("satisfaction", "Very satisfied")),
        (4, pgettext("satisfaction", "Satisfied")),
        (3, pgettext("satisfaction", "Neither")),
        (2, pgettext("satisfaction", "Dissatisfied")),
        (1, pgettext("satisfaction", "Very dissatisfied")),
    ]


def ticket_status_page(request: HttpRequest, token: str) -> HttpResponse:
    """The resident's live status page: place in line, estimate, the call; nothing personal."""
    ticket = queue_selectors.ticket_by_token(token=token)
    if ticket is None:
        lang = _language(request, language_or(translation.get_language()))
        return render_in_language(request, "kiosk/status_404.html", lang, {}, status=404)
    lang = _language(request, language_or(ticket.language))
    status = queue_selectors.ticket_status(ticket=ticket, language=lang)
    with translation.override(lang):
        messages = _status_messages()
        rating_choices = _rating_choices()
    status_text = messages[status["status"]].replace("{counter}", str(status["counter"] or ""))
    nxt = status["next_step"]
    return render_in_language(request, "kiosk/status.html", lang, {
        "ticket": ticket,
        "status": status,
        "status_text": status_text,
        "next_step_text": messages["next_step"].replace("{step}", nxt["name"]) if nxt else "",
        "next_where_text": messages["next_where"].replace(
            "{counters}", ", ".join(map(str, nxt["counters"]))) if nxt and nxt["counters"] else "",
        "minutes_text": messages["unknown_wait"] if status["estimated_wait_minutes"] is None
        else messages["minutes"].replace("{minutes}", str(status["estimated_wait_minutes"])),
        "messages_js": messages,
        "rating_choices": rating_choices,
        "config_js": {
            "token": ticket.token,
            "lang": lang,
            "wsPath": f"/ws/ticket/{ticket.token}/",
            "statusUrl": reverse("api-ticket-status", args=[ticket.token]) + f"?lang={lang}",
            "leaveUrl": reverse("api-ticket-leave", args=[ticket.token]),
            "onMyWayUrl": reverse("api-ticket-on-my-way", args=[ticket.token]) + f"?lang={lang}",
            "noticeUrl": reverse("api-ticket-notice", args=[ticket.token]) + f"?lang={lang}",
            "ratingUrl": reverse("api-ticket-rating", args=[ticket.token]) + f"?lang={lang}",
            "pollSeconds": 30,
            "initial": status,
        },
    })
