"""Public JSON of the congestion page and the open data, for any website (CORS ``*``).

- ``GET /api/v1/congestion/<office>/``: what the page shows (now, a day by hour,
  the busy-day calendar, best times), in ``?lang=``.
- ``GET /api/v1/open-data/<office>/hourly/``: per business day, hour, procedure and
  counter kind: arrivals, handled steps, waits and their median and 90th percentile
  (``queueing.visits``), as JSON or CSV (``?format=csv``), with the licence.

No sign-in. Nothing personal: no names, no ticket numbers, tokens or booking
references. Errors are JSON ``{"code", "detail"}`` like the rest of the API,
also when CSV was asked for.
"""

from __future__ import annotations

import csv
import datetime
import io

from django.conf import settings
from django.core.cache import cache
from django.urls import path
from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from queueing import numbering, visits
from queueing.errors import NotFound, QueueError

from . import selectors, wording
from .views import BadDate, date_window, language_of, parse_day

EARLIEST = datetime.date(2000, 1, 1)
MAX_DAYS = 31  # one request covers at most a month of hours
DEFAULT_DAYS = 7
CSV_COLUMNS = ["date", "hour", "procedure", "procedure_name", "counter_kind", "arrivals",
               "served", "waits", "waited_p50_minutes", "waited_p90_minutes", "licence"]


class PublicThrottle(AnonRateThrottle):
    """Per client address; generous, the answers are small and cached."""

    rate = "120/min"


class PublicView(APIView):
    """No sign-in, readable from any origin, errors always as JSON."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [PublicThrottle]

    def finalize_response(self, request, response, *args, **kwargs):
        """Add the CORS header; render errors as JSON whatever format was asked for."""
        if response.status_code >= 400 and isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response


class HourlyCSVRenderer(BaseRenderer):
    """The hourly open data as CSV: UTF-8 with a BOM (Excel in Japanese Windows), one
    header row, the licence in the last column of every row."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        """CSV text of the rows."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        licence = data["licence"]["name"]
        for row in data["rows"]:
            writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS[:-1]]
                            + [licence])
        return out.getvalue().encode("utf-8")


# --- schema ----------------------------------------------------------------------------


class PublicErrorOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class LicenceOut(serializers.Serializer):
    name = serializers.CharField(help_text="e.g. CC BY 4.0 (setting OPEN_DATA_LICENCE)")
    url = serializers.CharField(allow_blank=True)


class OfficeOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class HourlyRowOut(serializers.Serializer):
    date = serializers.DateField(help_text="Business day (Asia/Tokyo)")
    hour = serializers.IntegerField(help_text="Hour of the day, 0-23, Asia/Tokyo")
    procedure = serializers.CharField(help_text="Procedure code")
    procedure_name = serializers.CharField(help_text="Procedure name (Japanese)")
    # A CharField: the API's step_kind already names this choice set (StepKindEnum).
    counter_kind = serializers.CharField(help_text="outsourced (委託) or staff_only (職員)")
    arrivals = serializers.IntegerField(help_text="Residents who joined the line this hour")
    served = serializers.IntegerField(
        help_text="Steps handled at a counter this hour (completed, passed on, transferred)")
    waits = serializers.IntegerField(help_text="Residents of this hour's arrivals called so far")
    waited_p50_minutes = serializers.FloatField(
        allow_null=True, help_text=f"Median wait; null under {visits.MIN_WAITS_FOR_PERCENTILES}")
    waited_p90_minutes = serializers.FloatField(
        allow_null=True, help_text="90th percentile wait (nearest rank); null as above")


class HourlyOut(serializers.Serializer):
    office = OfficeOut()
    licence = LicenceOut()
    attribution = serializers.CharField()
    timezone = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    rows = HourlyRowOut(many=True)


class NowOut(serializers.Serializer):
    procedure = serializers.CharField()
    name = serializers.CharField()
    waiting = serializers.IntegerField()
    expected_wait_minutes = serializers.IntegerField(allow_null=True,
                                                     help_text="null: no open counter")


class HourOut(serializers.Serializer):
    hour = serializers.IntegerField()
    expected = serializers.FloatField()
    actual = serializers.IntegerField(allow_null=True, help_text="null: hour not begun")


class DayOut(serializers.Serializer):
    date = serializers.DateField()
    open = serializers.BooleanField()
    hours = HourOut(many=True)


class ReasonOut(serializers.Serializer):
    flag = serializers.CharField()
    factor = serializers.FloatField()
    text = serializers.CharField()


class CalendarDayOut(serializers.Serializer):
    date = serializers.DateField()
    open = serializers.BooleanField()
    level = serializers.ChoiceField(choices=["quiet", "normal", "busy", "very_busy", "closed"])
    level_text = serializers.CharField()
    expected = serializers.IntegerField()
    reasons = ReasonOut(many=True)


class BestTimeOut(serializers.Serializer):
    date = serializers.DateField()
    hour = serializers.IntegerField()
    expected = serializers.FloatField()


class CongestionOut(serializers.Serializer):
    office = OfficeOut()
    language = serializers.CharField()
    generated_at = serializers.DateTimeField()
    now = NowOut(many=True)
    day = DayOut()
    calendar = CalendarDayOut(many=True)
    best_times = BestTimeOut(many=True)


ERRORS = {400: PublicErrorOut, 404: PublicErrorOut, 429: PublicErrorOut}
LANG = OpenApiParameter("lang", OpenApiTypes.STR, enum=[c for c, _ in settings.LANGUAGES],
                        description="Language of names and words (default: the browser's)")


# --- views -----------------------------------------------------------------------------


def _office(code: str):
    office = selectors.office_by_code(code=code)
    if office is None:
        raise NotFound("No office with this code.", code="office_not_found")
    return office


class CongestionView(PublicView):
    """What the congestion page shows, as JSON."""

    @extend_schema(parameters=[LANG, OpenApiParameter(
        "date", OpenApiTypes.DATE, description="Day by hour to show (default today; "
        f"{selectors.DAYS_BACK} days back to the end of the week four weeks ahead)")],
        responses={200: CongestionOut, **ERRORS}, auth=[])
    def get(self, request, code: str):
        """Now, a day by hour, the calendar and the best times of one office."""
        office = _office(code)
        lang = language_of(request)
        now = timezone.now()
        today = numbering.business_day(now)
        try:
            day = parse_day(request.GET.get("date"), today)
        except BadDate as exc:
            first, last = date_window(today)
            raise ValidationError({"date": [
                "Use the form YYYY-MM-DD." if str(exc) == "format"
                else f"Choose a day from {first} to {last}."]}) from exc
        model = selectors.office_model(office=office, now=now)
        with translation.override(lang):
            calendar = [{
                "date": c["date"], "open": c["open"], "level": c["level"],
                "level_text": wording.level_text(c["level"]), "expected": c["expected"],
                "reasons": [{"flag": r.flag, "factor": r.factor,
                             "text": wording.reason_text(r, c["date"])} for r in c["reasons"]],
            } for week in selectors.busy_calendar(model=model, now=now) for c in week
                if not c["past"]]
            by_hour = selectors.day_by_hour(office=office, model=model, day=day, now=now)
            body = {
                "office": {"code": office.code, "name": office.name},
                "language": lang,
                "generated_at": now,
                "now": selectors.now_by_procedure(office=office, language=lang),
                "day": {"date": by_hour["date"], "open": by_hour["open"],
                        "hours": by_hour["hours"]},
                "calendar": calendar,
                "best_times": selectors.best_times(model=model, now=now),
            }
        return Response(CongestionOut(body).data)


def _date_param(request, name: str, default: datetime.date) -> datetime.date:
    value = request.GET.get(name)
    if not value:
        return default
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValidationError({name: ["Use the form YYYY-MM-DD."]}) from exc


class OpenDataHourlyView(PublicView):
    """Hourly figures per procedure and counter kind, for complete business days."""

    renderer_classes = [JSONRenderer, HourlyCSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description=(
                f"First business day (default: {DEFAULT_DAYS} days before yesterday)")),
            OpenApiParameter("to", OpenApiTypes.DATE, description=(
                f"Last business day, at most yesterday (default); at most {MAX_DAYS} days")),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"]),
        ],
        responses={(200, "application/json"): HourlyOut, (200, "text/csv"): OpenApiTypes.STR,
                   **ERRORS},
        auth=[],
        description="Open data: arrivals, steps handled and waits per hour, procedure and "
                    "counter kind. No personal data: no names, ticket numbers, tokens or "
                    "booking references; percentiles of fewer than "
                    f"{visits.MIN_WAITS_FOR_PERCENTILES} waits are null.")
    def get(self, request, code: str):
        """The hourly rows of complete business days, as JSON or CSV."""
        office = _office(code)
        yesterday = numbering.business_day() - datetime.timedelta(days=1)
        day_to = _date_param(request, "to", yesterday)
        day_from = _date_param(request, "from", day_to - datetime.timedelta(days=DEFAULT_DAYS - 1))
        if day_from > day_to:
            raise QueueError("'from' must not be after 'to'.", code="bad_range")
        if day_from < EARLIEST or day_to > yesterday:
            raise QueueError(f"Open data covers complete business days from {EARLIEST} "
                             f"to yesterday ({yesterday}).", code="out_of_range")
        if (day_to - day_from).days >= MAX_DAYS:
            raise QueueError(f"Ask for at most {MAX_DAYS} days at a time.",
                             code="range_too_long")
        key = f"congestion:hourly:{office.id}:{day_from}:{day_to}"
        rows = cache.get(key)
        if rows is None:
            rows = visits.hourly(office_id=office.id, day_from=day_from, day_to=day_to)
            cache.set(key, rows, timeout=3600)  # past days do not change
        body = {
            "office": {"code": office.code, "name": office.name},
            "licence": {"name": settings.OPEN_DATA_LICENCE,
                        "url": settings.OPEN_DATA_LICENCE_URL},
            "attribution": office.name,
            "timezone": settings.TIME_ZONE,
            "date_from": day_from,
            "date_to": day_to,
            "rows": rows,
        }
        response = Response(body)
        if settings.OPEN_DATA_LICENCE_URL:
            response["Link"] = f'<{settings.OPEN_DATA_LICENCE_URL}>; rel="license"'
        if request.accepted_renderer.format == "csv":
            response["Content-Disposition"] = (
                f'inline; filename="{office.code}-hourly-{day_from}-{day_to}.csv"')
        return response


urlpatterns = [
    path("congestion/<slug:code>/", CongestionView.as_view(), name="api-congestion"),
    path("open-data/<slug:code>/hourly/", OpenDataHourlyView.as_view(),
         name="api-open-data-hourly"),
]
