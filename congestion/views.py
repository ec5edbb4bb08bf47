"""The public congestion page (/congestion/<office>/): server-rendered, no script needed,
8 languages like the kiosk (``?lang=``), and embeddable in a city's website (framing
allowed). It shows counts and estimates only: no names, no ticket numbers."""

from __future__ import annotations

import datetime

from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from queueing import numbering
from queueing.languages import language_or, render_in_language

from . import selectors, wording


class BadDate(ValueError):
    """A ``date`` a resident typed or edited that the page cannot show."""


def language_of(request: HttpRequest) -> str:
    """``?lang=`` when it is one of the 8, else the browser's (LocaleMiddleware), else ja."""
    return language_or(request.GET.get("lang"), language_or(translation.get_language()))


def date_window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day a day-by-hour view can show."""
    return (today - datetime.timedelta(days=selectors.DAYS_BACK),
            selectors.last_day(today=today))


def parse_day(value: str | None, today: datetime.date) -> datetime.date:
    """The day of ``?date=YYYY-MM-DD`` (today when absent); BadDate when unusable."""
    if not value:
        return today
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise BadDate("format") from exc
    first, last = date_window(today)
    if not first <= day <= last:
        raise BadDate("range")
    return day


def _error(request, lang: str, *, status: int, title: str, message: str, office=None):
    return render_in_language(request, "congestion/error.html", lang,
                   {"title": title, "message": message, "office": office}, status=status)


@require_GET
@xframe_options_exempt  # city websites embed this page in an iframe...
# ...from the origins a city allows (None drops the directive: any page may embed it).
@csp_replace({"frame-ancestors": settings.CONGESTION_FRAME_ANCESTORS})
def congestion_page(request: HttpRequest, code: str) -> HttpResponse:
    """Now, a day by hour, the busy-day calendar and the best times to come, for one office."""
    lang = language_of(request)
    office = selectors.office_by_code(code=code)
    now = timezone.now()
    today = numbering.business_day(now)
    with translation.override(lang):
        if office is None:
            return _error(request, lang, status=404, title=_("Office not found"),
                          message=_("There is no office at this address. "
                                    "Please check the link."))
        try:
            day = parse_day(request.GET.get("date"), today)
        except BadDate as exc:
            first, last = date_window(today)
            message = (_("Please write the date like %(example)s.") % {
                "example": today.isoformat()} if str(exc) == "format" else
                _("Please choose a day between %(first)s and %(last)s.") % {
                    "first": date_format(first, "DATE_FORMAT"),
                    "last": date_format(last, "DATE_FORMAT")})
            return _error(request, lang, status=400, title=_("This date cannot be shown"),
                          message=message, office=office)
        model = selectors.office_model(office=office, now=now)
        calendar = selectors.busy_calendar(model=model, now=now)
        for week in calendar:
            for cell in week:
                cell["level_text"] = wording.level_text(cell["level"])
                cell["reason_texts"] = [
                    f"{wording.reason_text(r, cell['date'])} {wording.factor_text(r.factor)}"
                    for r in cell["reasons"]]
        busy_days = [c for week in calendar for c in week
                     if not c["past"] and c["level"] in ("busy", "very_busy")]
        by_hour = selectors.day_by_hour(office=office, model=model, day=day, now=now)
        for row in by_hour["hours"]:
            row["expected_pct"] = round(100 * row["expected"] / by_hour["top"], 1)
            row["actual_pct"] = (round(100 * row["actual"] / by_hour["top"], 1)
                                 if row["actual"] is not None else None)
        base = reverse("congestion-page", args=[office.code])
        return render_in_language(request, "congestion/page.html", lang, {
            "office": office,
            "updated_at": timezone.localtime(now),
            "now_rows": selectors.now_by_procedure(office=office, language=lang),
            "day": by_hour,
            "day_reasons": [f"{wording.reason_text(r, day)} {wording.factor_text(r.factor)}"
                            for r in selectors.reasons(model=model, day=day)]
            if by_hour["open"] else [],
            "calendar": calendar,
            "weekdays": [date_format(calendar[0][i]["date"], "D") for i in range(7)],
            "busy_days": busy_days,
            "best_times": selectors.best_times(model=model, now=now),
            "has_forecast": model.days_fitted > 0,
            "levels": [(level, wording.level_text(level))
                       for level in ("quiet", "normal", "busy", "very_busy", "closed")],
            "base_url": base,
            "today": today,
            "date_query": f"&date={day.isoformat()}" if day != today else "",
            "json_url": reverse("api-congestion", args=[office.code]) + f"?lang={lang}",
            "csv_url": reverse("api-open-data-hourly", args=[office.code]) + "?format=csv",
            "open_data_url": reverse("api-open-data-hourly", args=[office.code]),
            "licence": settings.OPEN_DATA_LICENCE,
            "licence_url": settings.OPEN_DATA_LICENCE_URL,
        })
