"""Every URL pattern x every role and device: who gets in, who is refused, nobody gets a 500.

The table is read from the URL configuration (config/urls.py's resolver): a route
without a rule here fails ``test_every_route_has_a_rule``, so a new page or API
operation cannot ship without saying who may use it. The sockets' table is in
tests/live/test_routing.py. Admin routes share one rule (the admin site's own
staff check) and are tried on the index and every registered model's list.
"""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLResolver, get_resolver

from appointments import services as booking_services
from appointments.models import Schedule, Slot, WeeklyRule
from demo.city_hall import DISPLAY_KEY, KIOSK_KEY
from queueing import services
from queueing.models import Counter, Device, Service

pytestmark = pytest.mark.django_db

# contractor2: a contractor of another company, with no contract at the demo office.
ROLES = ["anonymous", "contractor", "contractor2", "municipal", "supervisor", "admin", "kiosk",
         "display", "revoked"]
PUBLIC = set(ROLES)
STAFF = {"contractor", "contractor2", "municipal", "supervisor", "admin"}
AT_THE_OFFICE = STAFF - {"contractor2"}  # the office's counters and live figures
CITY_STAFF = {"municipal", "supervisor", "admin"}
SUPERVISORS = {"supervisor", "admin"}

# route (as the resolver spells it) -> the roles that get in; everyone else is refused.
RULES = {
    "api/health/": PUBLIC,
    "api/schema/": PUBLIC,
    "api/docs/": PUBLIC,
    # contractor2 gets in, but finds no service of an office it may not work at (404).
    "api/v1/tickets/": STAFF | {"kiosk"},
    "api/v1/tickets/status/<str:token>/": PUBLIC,  # the token is the credential
    "api/v1/tickets/status/<str:token>/leave/": PUBLIC,
    "api/v1/tickets/status/<str:token>/on-my-way/": PUBLIC,
    "api/v1/tickets/status/<str:token>/notice/": PUBLIC,
    "api/v1/tickets/status/<str:token>/rating/": PUBLIC,  # a completed visit's rating
    "api/v1/kiosk/check-in/": {"kiosk"},
    "api/v1/offices/<id:office_id>/services/": PUBLIC,
    "api/v1/offices/<id:office_id>/snapshot/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/status/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/call-next/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/call/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/tickets/<id:ticket_id>/hold/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/tickets/<id:ticket_id>/complete/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/tickets/<id:ticket_id>/transfer/": AT_THE_OFFICE,
    "api/v1/counters/<id:counter_id>/tickets/<id:ticket_id>/cancel/": AT_THE_OFFICE,
    "api/v1/^counters/(?P<counter_id>[0-9]{1,18})/tickets/(?P<ticket_id>[0-9]{1,18})/"
    "(?P<action>recall|start|resume|no-show)/$": AT_THE_OFFICE,
    "api/v1/bookings/slots/<slug:office_code>/<slug:service_code>/": PUBLIC,
    "api/v1/bookings/": PUBLIC,
    "api/v1/bookings/<str:token>/cancel/": PUBLIC,
    "staff/login/": PUBLIC,
    "staff/logout/": PUBLIC,
    "staff/": STAFF,
    "staff/counter/<id:counter_id>/": AT_THE_OFFICE,
    "supervisor/": SUPERVISORS,
    "supervisor/history/": SUPERVISORS,
    "supervisor/contract/": SUPERVISORS,
    "supervisor/plan/": SUPERVISORS,
    "supervisor/audit/": SUPERVISORS,
    "supervisor/jobs/": SUPERVISORS,
    # Configuration (staff/setup.py): a supervisor's own offices; a new office or contractor
    # company only for city-wide supervisors (the demo admin).
    "supervisor/setup/": SUPERVISORS,
    "supervisor/setup/offices/new/": {"admin"},
    "supervisor/setup/companies/new/": {"admin"},
    "supervisor/setup/<id:office_id>/counters/new/": SUPERVISORS,
    "supervisor/setup/<id:office_id>/services/new/": SUPERVISORS,
    "supervisor/setup/<id:office_id>/contracts/new/": SUPERVISORS,
    "supervisor/setup/<id:office_id>/devices/new/": SUPERVISORS,
    "supervisor/join-poster/": SUPERVISORS,  # the lobby poster for phone tickets
    "display/<str:key>/": {"display"},  # the key in the address is the credential
    "display/<str:key>/join-code/": {"display"},  # the phone ticket box's presence code
    "kiosk/<str:key>/": {"kiosk"},
    "kiosk/<str:key>/ticket/<str:token>/": {"kiosk"},
    "kiosk/<str:key>/maintenance/": {"kiosk"},
    "t/<str:token>/": PUBLIC,
    "join/<slug:office_code>/": PUBLIC,  # the phone ticket page (the demo office: lobby code)
    "book/hold/<str:token>/": PUBLIC,
    "book/manage/<str:token>/": PUBLIC,
    "book/manage/<str:token>/cancel/": PUBLIC,
    "book/manage/<str:token>/change/": PUBLIC,
    "book/<slug:office_code>/<slug:service_code>/": PUBLIC,
    "book/<slug:office_code>/<slug:service_code>/poster/": PUBLIC,
    "book/<slug:office_code>/<slug:service_code>/slot/<id:slot_id>/": PUBLIC,
    r"^book/(?P<office_code>[-\w]+)/(?P<service_code>[-\w]+)/(?P<date>\d{4}-\d{2}-\d{2})/$":
        PUBLIC,
    "staff/bookings/<slug:office_code>/": AT_THE_OFFICE,  # routing.offices_for
    "staff/bookings/<slug:office_code>/<slug:service_code>/phone/": CITY_STAFF,
    "congestion/<slug:code>/": PUBLIC,  # the public congestion page (an office's code)
    "api/v1/congestion/<slug:code>/": PUBLIC,
    "api/v1/open-data/<slug:code>/hourly/": PUBLIC,
    "admin/": {"admin"},  # every route under it
}
KEYED = {"display/<str:key>/", "display/<str:key>/join-code/", "kiosk/<str:key>/",
         "kiosk/<str:key>/ticket/<str:token>/", "kiosk/<str:key>/maintenance/"}
POST_ONLY = re.compile(r"^api/v1/(tickets/$|kiosk/|counters/.+/(call|status|hold|complete|"
                       r"transfer|cancel|call-next)/$|.*recall\||bookings/$|bookings/<str|"
                       r"tickets/status/<str:token>/(leave|on-my-way|notice|rating))|^staff/logout/$")


def routes() -> list[str]:
    """Every route of the URL configuration, admin's folded into "admin/"."""
    found = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if prefix + str(p.pattern) == "admin/":
                    found.append("admin/")
                    continue
                walk(p.url_patterns, prefix + str(p.pattern))
            else:
                found.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    return found


def test_every_route_has_a_rule():
    assert set(routes()) == set(RULES), {
        "routes without a rule": sorted(set(routes()) - set(RULES)),
        "rules without a route": sorted(set(RULES) - set(routes()))}


@pytest.fixture
def world(office):
    """Ids, tokens and keys every route's address needs, and a client per role."""
    revoked_kiosk = services.device_create(office=office, type=Device.Type.KIOSK, name="old",
                                           by=None)
    revoked_display = services.device_create(office=office, type=Device.Type.DISPLAY,
                                             name="old", by=None)
    for device in (revoked_kiosk, revoked_display):
        services.device_revoke(device=device, by=None)
    juminhyo = Service.objects.get(office=office, code="juminhyo")
    ticket = services.ticket_issue(service=juminhyo)
    schedule = Schedule.objects.create(office=office, service=office.services.get(
        code="mynumber"))
    for weekday in range(7):
        WeeklyRule.objects.create(schedule=schedule, weekday=weekday, opens=datetime.time(9),
                                  closes=datetime.time(12), capacity=2)
    day = datetime.date.today() + datetime.timedelta(days=10)
    slot = Slot.objects.create(schedule=schedule, start=datetime.datetime.combine(
        day, datetime.time(10), datetime.UTC), end=datetime.datetime.combine(
        day, datetime.time(10, 30), datetime.UTC), capacity=20)
    booking = booking_services.booking_create(slot=slot, notice_reference="ABC-123456",
                                              birth_date=datetime.date(1985, 4, 1),
                                              email="hanako@example.jp")
    return {
        "counter_id": Counter.objects.get(office=office, number=1).pk,  # outsourced
        "ticket_id": ticket.pk, "token": ticket.token, "booking_token": booking.token,
        "office_id": office.pk, "office_code": "demo", "service_code": "mynumber",
        "code": "demo",
        "slot_id": slot.pk, "date": day.isoformat(),
        "keys": {"kiosk": KIOSK_KEY, "display": DISPLAY_KEY,
                 "revoked": {"kiosk": revoked_kiosk.key, "display": revoked_display.key}},
    }


def address(route: str, world: dict, role: str) -> str:
    """A concrete path for a route, with the role's key where the route takes one."""
    kind = "display" if route.startswith("display/") else "kiosk"
    key = world["keys"].get(role, "no-such-key")
    if isinstance(key, dict):
        key = key[kind]
    if role in ("kiosk", "display") and role != kind:
        key = world["keys"][role]  # the other device's key: refused too
    token = world["booking_token"] if route.startswith(("book/", "api/v1/bookings/<")) \
        else world["token"]
    values = {**world, "key": key, "token": token, "action": "recall"}
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path


def client_for(role: str) -> tuple[Client, dict]:
    client, headers = Client(), {}
    if role in STAFF:
        client.force_login(User.objects.get(username=role))
    if role in ("kiosk", "revoked"):
        headers["HTTP_AUTHORIZATION"] = f"Device {KIOSK_KEY if role == 'kiosk' else 'x'}"
    if role == "display":
        headers["HTTP_AUTHORIZATION"] = f"Device {DISPLAY_KEY}"
    return client, headers


def outcome(route: str, response) -> str:
    assert response.status_code < 500, (route, response.status_code, response.content[:300])
    location = response.get("Location", "")
    if route == "staff/logout/":  # anyone may sign out; it leads to the sign-in page
        return "in" if response.status_code < 400 else "refused"
    if response.status_code in (401, 403) or (300 <= response.status_code < 400
                                               and "/login/" in location):
        return "refused"
    if route in KEYED and response.status_code == 404:
        return "refused"  # an unknown key: the plain "this screen is not registered" page
    return "in"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_in_exactly_where_its_rule_says(world, role):
    client, headers = client_for(role)
    if role == "revoked":
        headers["HTTP_AUTHORIZATION"] = f"Device {world['keys']['revoked']['kiosk']}"
    wrong = []
    for route in sorted(routes(), key=lambda r: r == "staff/logout/"):  # sign out last
        if route == "admin/":
            paths = ["/admin/"] + [f"/admin/{m._meta.app_label}/{m._meta.model_name}/"
                                   for m in admin.site._registry]
        else:
            paths = [address(route, world, role)]
        for path in paths:
            send = client.post if POST_ONLY.search(route) else client.get
            response = send(path, {}, content_type="application/json", **headers) \
                if send is client.post else send(path, **headers)
            got = outcome(route, response)
            want = "in" if role in RULES[route] else "refused"
            if got != want:
                wrong.append(f"{path}: {got} ({response.status_code}), rule says {want}")
    assert not wrong, "\n".join(wrong)
