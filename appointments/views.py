"""Booking pages reached by the QR poster, the manage link, and the staff's day view.

Thin: parse, call a selector or service, render. Every state change is a
POST behind a confirm button; a refusal is shown in the page's language and
the resident's input is kept (except a 12-digit number, which is never echoed).
"""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from api.bookings import BookingRateThrottle
from api.params import query_day, query_id
from queueing import routing
from queueing.errors import QueueError
from queueing.hours import weekday_runs
from queueing.languages import day_with_weekday, html_lang, language_or, render_in_language
from queueing.models import Counter, Office
from queueing.privacy import holds_individual_number
from queueing.qrcodes import qr_svg
from queueing.roles import has_staff_role, is_city_staff

from . import selectors, services, windows
from .contacts import phone_domestic
from .forms import IdentifyForm, PhoneBookingForm
from .models import Booking, Slot

# Which form field a service refusal belongs to (for the error next to the field).
ERROR_FIELD = {
    "invalid_notice_reference": "notice_reference", "birth_date_required": "birth_date",
    "notice_not_on_list": "notice_reference",
    "invalid_birth_date": "birth_date", "contact_required": "email", "invalid_email": "email",
    "invalid_phone": "phone", "party_too_large": "party_size",
}


def _lang(request) -> str:
    """The page's language: ?lang= (kept in every link), else the browser's."""
    lang = language_or(request.POST.get("lang") or request.GET.get("lang"),
                       language_or(request.LANGUAGE_CODE))
    translation.activate(lang)
    request.LANGUAGE_CODE = lang
    return lang


def _page(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render_in_language(request, f"appointments/{template}", request.LANGUAGE_CODE, context,
                              status=status)


def _schedule_or_404(office_code: str, service_code: str):
    schedule = selectors.schedule_for(office_code=office_code, service_code=service_code)
    if schedule is None:
        raise Http404("no booking schedule")
    return schedule


def _url(name: str, *args, lang: str) -> str:
    return f"{reverse(name, args=args)}?lang={lang}"


# --- resident: calendar -> slot -> identify -> confirm ------------------------------


def calendar(request, office_code: str, service_code: str):
    """Days of the booking window with their availability."""
    lang = _lang(request)
    schedule = _schedule_or_404(office_code, service_code)
    days = selectors.calendar_days(schedule=schedule)
    for d in days:
        d["url"] = _url("booking-day", office_code, service_code, d["date"].isoformat(),
                        lang=lang)
    return _page(request, "calendar.html", {
        "schedule": schedule, "service_name": schedule.service.name_in(lang), "days": days,
        "weeks": _weeks(days)})


def day(request, office_code: str, service_code: str, date: str):
    """The slots of one date: pick a time."""
    lang = _lang(request)
    schedule = _schedule_or_404(office_code, service_code)
    the_day = query_day(date)
    if the_day is None:
        raise Http404("bad date")
    slots = selectors.day_slots(schedule=schedule, day=the_day)
    return _page(request, "day.html", {
        "schedule": schedule, "service_name": schedule.service.name_in(lang), "day": the_day,
        "slots": [{"slot": s, "url": _url("booking-identify", office_code, service_code, s.id,
                                         lang=lang)} for s in slots],
        "back_url": _url("booking-calendar", office_code, service_code, lang=lang)})


@require_http_methods(["GET", "POST"])
def identify(request, office_code: str, service_code: str, slot_id: int):
    """Who is booking; a valid POST holds the seats and goes to the confirm page."""
    lang = _lang(request)
    schedule = _schedule_or_404(office_code, service_code)
    slot = get_object_or_404(Slot.objects.select_related("schedule"), pk=slot_id,
                             schedule=schedule)
    form = IdentifyForm(request.POST or None, max_party=schedule.max_party)
    refusal = None
    if request.method == "POST" and form.is_valid():
        if not BookingRateThrottle().allow_request(request, None):
            refusal = {"code": "throttled", "field": None, "detail": _(
                "Too many bookings were made from this network. Please try again later.")}
        else:
            try:
                hold = services.booking_hold(slot=slot, language=lang,
                                             client=request.META.get("REMOTE_ADDR", ""),
                                             **form.cleaned_data)
            except QueueError as exc:
                refusal = _refusal(form, exc)
            else:
                return HttpResponseRedirect(_url("booking-hold", hold.token, lang=lang))
    return _page(request, "identify.html", {
        "schedule": schedule, "service_name": schedule.service.name_in(lang), "slot": slot,
        "form": form, "refusal": refusal,
        "back_url": _url("booking-day", office_code, service_code,
                         timezone.localdate(slot.start).isoformat(), lang=lang)},
        status=_form_status(form, refusal))


@require_http_methods(["GET", "POST"])
def hold(request, token: str):
    """Check the details and confirm; the seats are held until the hold expires."""
    lang = _lang(request)
    b = _booking_or_404(token)
    if b.status != Booking.Status.HELD and b.status != Booking.Status.EXPIRED:
        return HttpResponseRedirect(_url("booking-manage", b.token, lang=lang))
    refusal = None
    if request.method == "POST":
        try:
            services.booking_confirm(booking=b)
        except QueueError as exc:
            refusal = {"code": exc.code, "detail": exc.detail}
        else:
            return HttpResponseRedirect(_url("booking-manage", b.token, lang=lang) + "&new=1")
    return _page(request, "hold.html", {
        "booking": b, "service_name": b.service.name_in(lang), "refusal": refusal,
        "back_url": _url("booking-calendar", b.office.code, b.service.code, lang=lang)},
        status=409 if refusal else 200)


def manage(request, token: str):
    """The confirmation and private manage page: code, time, what to bring, QR, change/cancel."""
    lang = _lang(request)
    b = selectors.booking_by_token(token=token)
    if b is None or b.status in (Booking.Status.HELD, Booking.Status.EXPIRED):
        if b is not None:
            return HttpResponseRedirect(_url("booking-hold", b.token, lang=lang))
        raise Http404("no such booking")
    schedule = b.slot.schedule
    deadline = windows.change_deadline(schedule=schedule, slot=b.slot)
    return _page(request, "manage.html", {
        "booking": b, "service_name": b.service.name_in(lang), "is_new": "new" in request.GET,
        "qr": qr_svg(b.reference, label=_("QR code of booking %(code)s for the kiosk")
                     % {"code": b.reference}),
        # Shown as the last minute it is still possible (23:59), not the next midnight.
        "deadline_text": _day_and_time(deadline - datetime.timedelta(minutes=1)),
        "changeable": b.status == Booking.Status.BOOKED and windows.changeable(
            schedule=schedule, slot=b.slot),
        "change_url": _url("booking-change", b.token, lang=lang),
        "cancel_url": _url("booking-cancel", b.token, lang=lang),
        "schedule": schedule})


@require_http_methods(["GET", "POST"])
def cancel(request, token: str):
    """Cancel behind a confirm button; refused after the deadline with the reason."""
    lang = _lang(request)
    b = _booking_or_404(token)
    refusal = None
    if request.method == "POST":
        try:
            services.booking_cancel(booking=b)
        except QueueError as exc:
            refusal = {"code": exc.code, "detail": exc.detail}
        else:
            b.refresh_from_db()
    return _page(request, "cancel.html", {
        "booking": b, "service_name": b.service.name_in(lang), "refusal": refusal,
        "back_url": _url("booking-manage", b.token, lang=lang)},
        status=409 if refusal else 200)


@require_http_methods(["GET", "POST"])
def change(request, token: str):
    """Pick another time (GET lists open slots) and confirm it (POST with slot)."""
    lang = _lang(request)
    b = _booking_or_404(token)
    refusal = None
    chosen = None
    slot_id = query_id(request.POST.get("slot") or request.GET.get("slot"))
    if slot_id is not None:
        chosen = Slot.objects.filter(pk=slot_id, schedule_id=b.slot.schedule_id).first()
    if request.method == "POST" and chosen is not None and "confirm" in request.POST:
        try:
            services.booking_change(booking=b, slot=chosen)
        except QueueError as exc:
            refusal = {"code": exc.code, "detail": exc.detail}
        else:
            return HttpResponseRedirect(_url("booking-manage", b.token, lang=lang))
    slots = [s for s in selectors.open_slots(schedule=b.slot.schedule)
             if s.id != b.slot_id and s.seats_left >= b.party_size]
    return _page(request, "change.html", {
        "booking": b, "service_name": b.service.name_in(lang), "refusal": refusal,
        "chosen": chosen, "slots": slots,
        "back_url": _url("booking-manage", b.token, lang=lang)},
        status=409 if refusal else 200)


# The poster's QR code, printed: large enough to scan from a step away (at least 6 cm).
POSTER_QR_MM = 70


def poster(request, office_code: str, service_code: str):
    """A printable poster: the QR code to the booking page, the hours, the place and what to
    bring in the page's language, and a line in each language."""
    lang = _lang(request)
    schedule = _schedule_or_404(office_code, service_code)
    url = request.build_absolute_uri(reverse("booking-calendar",
                                             args=[office_code, service_code]))
    lines = []
    for code, name in settings.LANGUAGES:
        with translation.override(code):
            lines.append({"lang": html_lang(code), "name": name,
                          "title": _("Book your My Number card pickup"),
                          "hint": _("Scan the QR code with your phone to choose a time."),
                          "service": schedule.service.name_in(code)})
    today = timezone.localdate()
    extras = schedule.extra_openings.filter(
        date__gte=today, date__lte=today + datetime.timedelta(days=schedule.latest_days))
    counters = Counter.objects.filter(office=schedule.office, services=schedule.service)
    return _page(request, "poster.html", {
        "schedule": schedule, "service_name": schedule.service.name_in(lang), "url": url,
        "lines": lines, "hours": _weekly_hours(schedule), "extra_openings": extras,
        "counters": [_("Counter %(number)s") % {"number": c.number}
                     for c in counters.order_by("number").distinct()],
        "qr": qr_svg(url, label=_("QR code of the booking page"), size_mm=POSTER_QR_MM)})


# --- staff ----------------------------------------------------------------------------


@login_required
def staff_day(request, office_code: str):
    """A day's bookings per slot: full detail for supervisors and municipal staff."""
    _lang(request)
    if not has_staff_role(request.user):
        return _page(request, "staff_forbidden.html", {}, status=403)
    office = get_object_or_404(Office, code=office_code)
    if not routing.may_see_office(office_id=office.pk, user=request.user):
        return _page(request, "staff_forbidden.html", {"other_office": True}, status=403)
    the_day = query_day(request.GET.get("date")) or timezone.localdate()
    view = selectors.bookings_day(office=office, day=the_day, user=request.user)
    return _page(request, "staff_day.html", {
        "office": office, "day": the_day, **view,
        "prev_day": the_day - datetime.timedelta(days=1),
        "next_day": the_day + datetime.timedelta(days=1),
        "can_phone_book": is_city_staff(request.user),
        "services": selectors.services_with_schedule(office=office)})


@login_required
@require_http_methods(["GET", "POST"])
def staff_phone_booking(request, office_code: str, service_code: str):
    """Book on a resident's behalf (by phone); supervisors and municipal staff only."""
    lang = _lang(request)
    if not is_city_staff(request.user):
        return _page(request, "staff_forbidden.html", {}, status=403)
    schedule = _schedule_or_404(office_code, service_code)
    if not routing.may_see_office(office_id=schedule.office_id, user=request.user):
        return _page(request, "staff_forbidden.html", {"other_office": True}, status=403)
    slots = [(s.id, f"{_day_and_time(s.start)} ({_('%(n)s left') % {'n': s.seats_left}})")
             for s in selectors.open_slots(schedule=schedule)]
    form = PhoneBookingForm(request.POST or None, max_party=schedule.max_party, slots=slots)
    refusal, booked = None, None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        slot = Slot.objects.filter(pk=data.pop("slot"), schedule=schedule).first()
        try:
            if slot is None:
                raise QueueError(_("Choose a time."), code="slot_not_found")
            booked = services.booking_create(slot=slot, language=lang, by=request.user,
                                             channel=Booking.Channel.PHONE, **data)
        except QueueError as exc:
            refusal = _refusal(form, exc)
    return _page(request, "staff_phone.html", {
        "schedule": schedule, "service_name": schedule.service.name_in(lang), "form": form,
        "refusal": refusal, "booked": booked,
        "manage_url": request.build_absolute_uri(reverse("booking-manage", args=[booked.token]))
        if booked else ""}, status=_form_status(form, refusal))


# --- internals --------------------------------------------------------------------------


def _refusal(form, exc: QueueError) -> dict:
    """Attach a service refusal to its field, and never echo back a 12-digit number."""
    field = ERROR_FIELD.get(exc.code)
    if exc.code == "individual_number":  # the form's inputs never show it (NeverEchoes)
        readers = {"phone": phone_domestic}
        field = next((name for name in ("notice_reference", "email", "phone")
                      if holds_individual_number(readers.get(name, str)(
                          form.data.get(name, "")))), None)
    if field:
        form.add_error(field, exc.detail)
    return {"code": exc.code, "detail": exc.detail, "field": field}


def _form_status(form, refusal: dict | None) -> int:
    """400 for input to correct, 409 when the slot filled up meanwhile, 429 for too many
    bookings from one address, else 200."""
    if refusal:
        if refusal["code"] == "throttled":
            return 429
        return 409 if refusal["code"] in ("slot_full", "already_booked") else 400
    return 400 if form.is_bound and form.errors else 200


def _weekly_hours(schedule) -> list[dict]:
    """The weekly hours as poster rows: runs of weekdays with the same hours ("Monday to
    Wednesday", "9:00–16:30"), each closing at the latest at the evening cut-off."""
    periods: dict[int, list[str]] = {}
    for rule in schedule.weekly_rules.all():
        closes = min(rule.closes, schedule.evening_cutoff)
        if closes > rule.opens:
            periods.setdefault(rule.weekday, []).append(
                f"{time_format(rule.opens, 'G:i')}–{time_format(closes, 'G:i')}")
    runs = weekday_runs(periods)
    return [{"days": str(WEEKDAYS[run[0]]) if len(run) == 1 else _("%(first)s to %(last)s") % {
                "first": WEEKDAYS[run[0]], "last": WEEKDAYS[run[-1]]},
             "hours": ", ".join(periods[run[0]])} for run in runs]


def _weeks(days: list[dict]) -> list[list[dict | None]]:
    """Days laid out Monday-Sunday in rows for the calendar table."""
    if not days:
        return []
    weeks: list[list[dict | None]] = [[None] * days[0]["date"].weekday()]
    for d in days:
        if len(weeks[-1]) == 7:
            weeks.append([])
        weeks[-1].append(d)
    weeks[-1] += [None] * (7 - len(weeks[-1]))
    return weeks


def _day_and_time(moment: datetime.datetime) -> str:
    """12月8日(火) 23:59 in the page's language (Asia/Tokyo)."""
    return f"{day_with_weekday(moment)} {timezone.localtime(moment):%H:%M}"


def _booking_or_404(token: str) -> Booking:
    b = selectors.booking_by_token(token=token)
    if b is None:
        raise Http404("no such booking")
    return b
