"""Staff console and supervisor pages: thin views that check the role, read, and render.

Every counter action goes through the REST API (``api/tickets.py``) from the
console's script, so the console, the API and any other client share one
path through ``services`` and the hybrid rule in ``routing``.

Who may see what:
- ``/staff/``: any staff role; each account is offered only the counters it may
  work at (``routing.counters_for``: its offices; for a contractor, outsourced
  counters of the offices where its company holds a contract in force), and a
  typed URL to another counter is refused with 403 and the reason.
- ``/supervisor/``: supervisors only. Municipal staff and contractors get
  403: the reports include the contractor's billing figures and SLA, which
  are the supervisor's to manage (a decision recorded here and in the
  report to the lead). A supervisor sees the offices it belongs to
  (``routing.offices_for``; a city-wide supervisor all of them); another
  office's page is refused with 403, never shown.
"""

import csv
import datetime

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from api.params import query_day, query_id, query_month
from jobs import board
from kiosk.links import join_url
from queueing import routing, selectors, services
from queueing.errors import Forbidden
from queueing.hours import weekday_runs
from queueing.models import Counter, Office, OfficeHours, PresetReason, SecurityAction
from queueing.privacy import NeverEchoes
from queueing.qrcodes import qr_svg
from queueing.roles import is_city_wide, is_supervisor, role_of
from queueing.signins import client_address

from . import audit, plan, reports


class StaffSignInForm(NeverEchoes, AuthenticationForm):
    """The sign-in form: a typed Individual Number is never shown back."""


class StaffLoginView(auth_views.LoginView):
    """Sign-in page for counter staff and supervisors (a console whose session expired
    sends the person here, and back to its counter afterwards)."""

    template_name = "staff/login.html"
    authentication_form = StaffSignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        """The page, saying why when a console sent the person here."""
        return {**super().get_context_data(**kwargs),
                "expired": self.request.GET.get("expired") == "1"}


class StaffLogoutView(auth_views.LogoutView):
    """Sign out (POST only) and go back to the sign-in page; the counters this session was
    signed in at pause at once if nobody else is there."""

    next_page = "/staff/login/"

    def post(self, request, *args, **kwargs):
        """End the session's counter presences, then sign out."""
        if request.user.is_authenticated:
            services.counter_presence_sign_out(user=request.user,
                                               session_key=request.session.session_key or "")
        return super().post(request, *args, **kwargs)


# The console's refusals in Japanese, beside the reason in English (routing's detail).
COUNTER_REFUSALS = {
    "no_staff_role": "このアカウントには窓口の権限がありません。",
    "counter_not_allowed": "この窓口は職員窓口です。"
                           "委託事業者のアカウントは委託窓口でのみ働けます。",
    "office_not_allowed": "この窓口の庁舎では、このアカウントは働けません"
                          " (所属していない庁舎か、所属する委託事業者の契約がない庁舎です)。",
}


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context["is_supervisor"] = is_supervisor(request.user)
    return render(request, template, context, status=status)


def _forbidden(request: HttpRequest, detail: str) -> HttpResponse:
    return _page(request, "staff/forbidden.html", {"detail": detail}, status=403)


def _office(request: HttpRequest) -> Office | None:
    """The office asked for (``?office=``), or the user's first: only among its offices."""
    office_id = query_id(request.GET.get("office"))
    offices = routing.offices_for(user=request.user).order_by("id")
    if office_id is not None:
        return offices.filter(pk=office_id).first()
    return offices.first()


@login_required
@require_GET
def staff_home(request: HttpRequest) -> HttpResponse:
    """Pick a counter: only the counters this account may work at."""
    role = role_of(request.user)
    if role is None:
        return _forbidden(request, "このアカウントには窓口の権限がありません。"
                                   " This account has no counter role.")
    counters = (routing.counters_for(user=request.user).select_related("office")
                .order_by("office_id", "number"))
    return _page(request, "staff/staff_home.html", {
        "counters": counters, "role": role,
    })


@login_required
@require_GET
def console(request: HttpRequest, counter_id: int) -> HttpResponse:
    """The console of one counter: current ticket, line, actions (driven by console.js)."""
    counter = get_object_or_404(Counter.objects.select_related("office"), pk=counter_id)
    try:
        routing.ensure_can_operate(counter=counter, user=request.user)
    except Forbidden as exc:
        return _forbidden(request, f"{COUNTER_REFUSALS.get(exc.code, '')} {exc.detail}".strip())
    reasons = selectors.preset_reasons(office_id=counter.office_id)
    # The console beats well inside the presence timeout (a background tab's timers run
    # at most once a minute, so the default timeout of 5 minutes leaves room).
    heartbeat = max(1, min(settings.COUNTER_HEARTBEAT_SECONDS,
                           settings.COUNTER_PRESENCE_TIMEOUT_SECONDS // 3))
    return _page(request, "staff/console.html", {
        "counter": counter,
        "office": counter.office,
        "transfer_services": selectors.transfer_targets(office_id=counter.office_id),
        "hand_off_reasons": reasons[PresetReason.Purpose.HAND_OFF],
        "hold_reasons": reasons[PresetReason.Purpose.HOLD],
        "heartbeat_seconds": heartbeat,
        "role": role_of(request.user),
    })


def _supervisor_office(request: HttpRequest) -> tuple[Office | None, HttpResponse | None]:
    """The office a supervisor page shows, or the refusal page to send instead."""
    if not is_supervisor(request.user):
        return None, _forbidden(request,
                                "監督者のみが閲覧できます。 Only supervisors may see this page.")
    office = _office(request)
    if office is None:
        return None, _forbidden(request, "この庁舎はこのアカウントでは表示できません"
                                         " (所属していない庁舎です)。 This account may not "
                                         "see this office (it is not one of yours).")
    return office, None


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Supervisor dashboard: live figures (pushed over /ws/dashboard/) and links to reports."""
    office, refused = _supervisor_office(request)
    if refused is not None:
        return refused
    return _page(request, "staff/dashboard.html", {
        "office": office, "live": selectors.office_live_figures(office_id=office.id),
    })


def _parse_day(value: str | None, default: datetime.date) -> tuple[datetime.date, str | None]:
    # The refused text is never quoted back (it may be anything, an Individual Number too).
    if not value:
        return default, None
    day = query_day(value)
    if day is None:
        return default, ("日付は 2000-01-01 から 2099-12-31 の YYYY-MM-DD で入力してください。"
                         " Enter a date YYYY-MM-DD from 2000-01-01 to 2099-12-31.")
    return day, None


@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    """History for a day or range: tables by service and counter kind, charts, CSV export."""
    office, refused = _supervisor_office(request)
    if refused is not None:
        return refused
    today = timezone.localdate()
    day_from, err1 = _parse_day(request.GET.get("from"), today)
    day_to, err2 = _parse_day(request.GET.get("to"), day_from)
    errors = [e for e in (err1, err2) if e]
    if day_to < day_from:
        errors.append("終了日が開始日より前です。 The end date is before the start date.")
        day_to = day_from
    if (day_to - day_from).days > 366:
        errors.append("期間は1年以内にしてください。 Choose a range of at most one year.")
        day_to = day_from + datetime.timedelta(days=366)
    figures = reports.history(office_id=office.id, day_from=day_from, day_to=day_to)
    table = request.GET.get("csv")
    if table:
        rows = reports.history_table(figures, table)
        if rows is None:
            return HttpResponse("その表はありません。 There is no such table.", status=400,
                                content_type="text/plain; charset=utf-8")
        return _csv(f"history-{table}-{day_from}-{day_to}.csv", rows)
    return _page(request, "staff/history.html", {
        "office": office, "figures": figures, "day_from": day_from, "day_to": day_to,
        "errors": errors,
        "arrivals_chart": reports.bar_chart(
            [(f"{h:02d}", n) for h, n in figures["arrivals_per_hour"]],
            title="時間帯別の発券数 Arrivals per hour"),
        "wait_chart": reports.bar_chart(
            [(label, n) for label, n in figures["wait_distribution"]],
            title="待ち時間の分布 Wait distribution (minutes)"),
    })


@login_required
@require_GET
def contract(request: HttpRequest) -> HttpResponse:
    """The month's contract report: units, amounts, service levels, deductions, totals per day
    and month (printable); ``csv=1`` the report, ``csv=tickets`` the ticket-level export."""
    office, refused = _supervisor_office(request)
    if refused is not None:
        return refused
    errors = []
    month = _parse_month(request.GET.get("month"), timezone.localdate().replace(day=1), errors)
    kind = request.GET.get("csv")
    if kind and kind not in ("1", "tickets"):
        return HttpResponse("出力の種類が違います。 Unknown export.", status=400,
                            content_type="text/plain; charset=utf-8")
    report = reports.contract(office_id=office.id, month=month)
    if kind and report is not None:
        if kind == "tickets":
            return _csv(f"contract-tickets-{month:%Y-%m}.csv",
                        reports.contract_tickets(office_id=office.id, month=month))
        return _csv(f"contract-{month:%Y-%m}.csv", reports.contract_table(report))
    return _page(request, "staff/contract.html", {
        "office": office, "report": report, "month": month, "errors": errors,
    })


@login_required
@require_GET
def staffing_plan(request: HttpRequest) -> HttpResponse:
    """The coming week's staffing plan per hour and counter kind beside last week's counters
    and SLA, counter-hours and cost; ``csv=1`` the plan for the contractor to staff from.

    Supervisors only, as every /supervisor/ page: it holds the contract's prices and
    the contractor's SLA. There is no role for the contractor's own supervisor
    (queueing/roles.py has contractor staff, municipal staff, supervisors), and the
    city directing the contractor's individual staff would be 偽装請負: the city's
    supervisor hands the CSV to the contractor company, which staffs from it.
    """
    office, refused = _supervisor_office(request)
    if refused is not None:
        return refused
    errors = []
    default = plan.coming_week(timezone.localdate())
    week, error = _parse_day(request.GET.get("week"), default)
    if error:
        errors.append(error)
    week = plan.monday(week)
    kind = request.GET.get("csv")
    if kind and kind != "1":
        return HttpResponse("出力の種類が違います。 Unknown export.", status=400,
                            content_type="text/plain; charset=utf-8")
    if kind and errors:
        return HttpResponse(errors[0], status=400, content_type="text/plain; charset=utf-8")
    figures = plan.week_plan(office_id=office.id, week_start=week)
    if kind:
        return _csv(f"staffing-plan-{week}.csv", plan.plan_table(figures))
    return _page(request, "staff/plan.html", {
        "office": office, "figures": figures, "week": week, "errors": errors,
        "previous_week": week - plan.WEEK, "next_week": week + plan.WEEK,
    })


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit trail of one kind over a range of days, with CSV export (supervisors only)."""
    if not is_supervisor(request.user):
        return _forbidden(request, "監督者のみが閲覧できます。 Only supervisors may see this page.")
    today = timezone.localdate()
    day_from, err1 = _parse_day(request.GET.get("from"), today)
    day_to, err2 = _parse_day(request.GET.get("to"), day_from)
    errors = [e for e in (err1, err2) if e]
    if day_to < day_from or (day_to - day_from).days > 31:
        errors.append("期間は31日以内にしてください。 Choose at most 31 days.")
        day_to = day_from
    kinds = {k: label for k, label in audit.KINDS.items()
             if is_city_wide(request.user) or k not in audit.INSTALLATION_KINDS}
    kind = request.GET.get("kind")
    if kind in audit.KINDS and kind not in kinds:
        return _forbidden(request, "サインインと設定変更の記録は全庁の監督者のみが閲覧できます。"
                                   " Only city-wide supervisors may see sign-ins and "
                                   "configuration changes.")
    kind = kind if kind in kinds else next(iter(kinds))
    rows = audit.audit_rows(kind=kind, day_from=day_from, day_to=day_to,
                            offices=routing.offices_for(user=request.user))
    if request.GET.get("csv"):
        services.security_event_record(
            action=SecurityAction.AUDIT_EXPORTED, user=request.user,
            address=client_address(request), detail=f"{kind} {day_from}..{day_to}")
        return _csv(f"audit-{kind}-{day_from}-{day_to}.csv", [audit.HEADER, *rows])
    return _page(request, "staff/audit.html", {
        "kinds": kinds, "kind": kind, "rows": rows, "header": audit.HEADER,
        "day_from": day_from, "day_to": day_to, "errors": errors,
        "truncated": len(rows) >= audit.MAX_ROWS,
    })


@login_required
@require_GET
def jobs_board(request: HttpRequest) -> HttpResponse:
    """The scheduled jobs: each one's last run, counts and failures (supervisors only, read
    only: the product offers no way to change these records)."""
    if not is_supervisor(request.user):
        return _forbidden(request, "監督者のみが閲覧できます。 Only supervisors may see this page.")
    return _page(request, "staff/jobs.html", {"rows": board.job_rows(),
                                              "failures": board.failures()})


# The lobby poster's QR code, printed: large enough to scan from a few steps away.
JOIN_POSTER_QR_MM = 110
WEEKDAYS_JA, WEEKDAYS_EN = "月火水木金土日", ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@login_required
@require_GET
def join_poster(request: HttpRequest) -> HttpResponse:
    """A printable lobby poster for taking a ticket on a phone (Web 整理券): the office's join
    URL as a large QR code, its opening hours, in Japanese and English (supervisors only)."""
    office, refused = _supervisor_office(request)
    if refused is not None:
        return refused
    url = join_url(request, office.code)
    return _page(request, "staff/join_poster.html", {
        "office": office, "url": url, "hours": _weekly_hours(office),
        "limited": [{"ja": s.name, "en": s.name_in("en"), "from": s.available_from,
                     "until": s.available_until}
                    for s in office.services.filter(active=True).exclude(
                        available_from=None, available_until=None)],
        "needs_code": office.phone_join == Office.PhoneJoin.LOBBY,
        "off": office.phone_join == Office.PhoneJoin.OFF,
        "qr": qr_svg(url, label="スマートフォンで整理券を取るページのQRコード QR code for "
                                "taking a ticket on your phone", size_mm=JOIN_POSTER_QR_MM),
    })


def _weekly_hours(office: Office) -> list[dict]:
    """The office's weekly hours as poster rows: runs of weekdays with the same periods
    (月〜金 / Mon–Fri, 8:30–17:15)."""
    periods: dict[int, list[str]] = {}
    for weekday, opens, closes in OfficeHours.objects.filter(office=office).order_by(
            "weekday", "opens").values_list("weekday", "opens", "closes"):
        periods.setdefault(weekday, []).append(
            f"{opens.hour}:{opens.minute:02d}–{closes.hour}:{closes.minute:02d}")
    return [{"ja": WEEKDAYS_JA[r[0]] + (f"〜{WEEKDAYS_JA[r[-1]]}" if len(r) > 1 else ""),
             "en": WEEKDAYS_EN[r[0]] + (f"–{WEEKDAYS_EN[r[-1]]}" if len(r) > 1 else ""),
             "hours": ", ".join(periods[r[0]])} for r in weekday_runs(periods)]


def _parse_month(value: str | None, default: datetime.date, errors: list) -> datetime.date:
    if not value:
        return default
    month = query_month(value)
    if month is None:
        errors.append("月は 2000-01 から 2099-12 の YYYY-MM で入力してください。"
                      " Enter a month YYYY-MM from 2000-01 to 2099-12.")
        return default
    return month


def _csv(filename: str, rows: list[list]) -> HttpResponse:
    # UTF-8 with a BOM so that Excel in Japanese Windows opens it without mojibake.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerows(rows)
    return response
