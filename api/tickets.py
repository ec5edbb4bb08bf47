"""REST API of the queue under /api/v1/: thin views that parse, check permission, call a
service or selector, and render."""

import functools

from django.db import IntegrityError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments import contacts
from queueing import routing, selectors, services
from queueing.errors import Forbidden, NotFound, QueueError
from queueing.languages import language_or
from queueing.models import Counter, Device, Office, Service, Step, Ticket
from queueing.roles import has_staff_role

from . import params
from .devices import DeviceKeyAuthentication, DeviceRateThrottle, IsKiosk
from .serializers import (
    ERRORS,
    CallNumberIn,
    CancelIn,
    CompleteIn,
    CounterStatusIn,
    ErrorOut,
    HoldIn,
    IssuedOut,
    IssueIn,
    NoticeIn,
    RatingIn,
    TicketOut,
    TransferIn,
    issued_out,
    ticket_out,
    valid,
)

# --- kiosk and resident -----------------------------------------------------------


class TicketIssueView(APIView):
    """Issue a ticket: from a kiosk (device key) or by staff on a resident's behalf."""

    authentication_classes = [DeviceKeyAuthentication, *APIView.authentication_classes]
    permission_classes = [permissions.IsAuthenticated | IsKiosk]
    throttle_classes = [DeviceRateThrottle]

    @extend_schema(request=IssueIn, responses={201: IssuedOut, **ERRORS}, parameters=[
        OpenApiParameter(params.IDEMPOTENCY_KEY, str, OpenApiParameter.HEADER, description=(
            "A key per press of the kiosk (a UUID): a retry with the same key the same "
            "day gets the ticket that request was issued, never a second one."))])
    def post(self, request):
        data = valid(IssueIn, request)
        key = params.request_key(request.headers.get(params.IDEMPOTENCY_KEY))
        if key is None:
            raise QueueError("The Idempotency-Key header must be 8-64 letters, digits, '-' "
                             "or '_' (a UUID).", code="bad_idempotency_key")
        device = request.auth if isinstance(request.auth, Device) else None
        if device is None and not has_staff_role(request.user):
            raise Forbidden("Only kiosks and counter staff may issue tickets.",
                            code="no_staff_role")
        # One query for the service and its first step (this is the hot path).
        first_step = Step.objects.select_related("service").filter(
            service_id=data["service"], service__active=True).order_by("order")
        if device is not None:
            first_step = first_step.filter(service__office_id=device.office_id)
        else:  # staff issue only at the offices they may work at
            first_step = first_step.filter(
                service__office__in=routing.offices_for(user=request.user))
        first_step = first_step.first()
        if first_step is None:
            return Response(
                {"code": "service_not_found", "detail": "No such service at this office."},
                status=404,
            )
        issue = functools.partial(
            services.ticket_issue, service=first_step.service, first_step=first_step,
            priority=data["priority"], language=data["language"], device=device,
            by=None if device else request.user, request_key=key)
        try:
            ticket = issue()
        except IntegrityError:
            if not key:
                raise
            ticket = issue()  # the same request at the same moment: its ticket, found now
        return Response(issued_out(request, ticket), status=status.HTTP_201_CREATED)


TICKET_STATUS = inline_serializer("TicketStatus", {
    "ticket": serializers.CharField(), "status": serializers.CharField(),
    "people_ahead": serializers.IntegerField(),
    "estimated_wait_minutes": serializers.IntegerField(allow_null=True),
    "counter": serializers.IntegerField(allow_null=True),
    "near_turn": serializers.BooleanField(help_text="Near the front: back to the lobby, please"),
    "on_my_way": serializers.BooleanField(help_text="The resident said they are on their way"),
    "notified": serializers.BooleanField(help_text="An e-mail address is kept for the messages"),
    "rated": serializers.BooleanField(help_text="The completed visit is rated"),
    "version": serializers.IntegerField()})


class TicketStatusView(APIView):
    """A resident's view of their ticket, by its unguessable token (no sign-in)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(responses={200: TICKET_STATUS, 404: ErrorOut})
    def get(self, request, token: str):
        return Response(_status_in_page_language(request, _ticket_by_token(token)))


class TicketLeaveView(APIView):
    """The resident is leaving: cancel their own ticket (status page, after confirmation)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(request=None, responses={200: TicketOut, **ERRORS})
    def post(self, request, token: str):
        ticket = services.ticket_cancel(ticket=_ticket_by_token(token), reason="Resident left.")
        return Response(ticket_out(ticket))


class TicketOnMyWayView(APIView):
    """The resident is on the way back to the lobby (status page; the console shows it)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(request=None, responses={200: TICKET_STATUS, **ERRORS})
    def post(self, request, token: str):
        ticket = services.ticket_on_my_way(ticket=_ticket_by_token(token))
        return Response(_status_in_page_language(request, ticket))


class TicketNoticeView(APIView):
    """The resident leaves an e-mail address for this ticket's near-turn and call messages;
    it is kept for this ticket only and erased after the day."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(request=NoticeIn, responses={200: TICKET_STATUS, **ERRORS})
    def post(self, request, token: str):
        email = contacts.email_clean(valid(NoticeIn, request)["email"])
        ticket = _ticket_by_token(token)
        services.ticket_notice_opt_in(ticket=ticket, email=email)
        return Response(_status_in_page_language(request, ticket))


class TicketRatingView(APIView):
    """The resident rates the completed visit (one tap, an optional short comment), once per
    ticket; no personal data. It feeds the supervisor's history."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(request=RatingIn, responses={201: TICKET_STATUS, **ERRORS})
    def post(self, request, token: str):
        data = valid(RatingIn, request)
        ticket = _ticket_by_token(token)
        services.ticket_rate(ticket=ticket, score=data["score"], comment=data["comment"])
        ticket.refresh_from_db()
        return Response(_status_in_page_language(request, ticket),
                        status=status.HTTP_201_CREATED)


def _status_in_page_language(request, ticket: Ticket) -> dict:
    """The resident's status, names in the page's ``?lang=`` (the ticket's language without)."""
    return selectors.ticket_status(
        ticket=ticket, language=language_or(request.query_params.get("lang"), None))


def _ticket_by_token(token: str) -> Ticket:
    ticket = selectors.ticket_by_token(token=token)
    if ticket is None:
        raise NotFound("No ticket of today has this link.", code="not_found")
    return ticket


# --- counters ---------------------------------------------------------------------


def _counter(request, counter_id: int) -> Counter:
    """The counter of the address, refused (403 with the reason's code) before anything is
    read or parsed when the user may not work there (``routing.ensure_can_operate``; the
    services check it again in their transaction)."""
    counter = get_object_or_404(Counter.objects.select_related("office"), pk=counter_id)
    routing.ensure_can_operate(counter=counter, user=request.user)
    return counter


def _ticket_at_office(counter: Counter, ticket_id: int) -> Ticket:
    return get_object_or_404(Ticket, pk=ticket_id, office_id=counter.office_id)


class CounterView(APIView):
    """The console's view of a counter: current ticket and the line it may call."""

    @extend_schema(responses={200: inline_serializer("CounterView", {
        "counter": serializers.DictField(), "current": TicketOut(allow_null=True),
        "waiting": TicketOut(many=True), "held": TicketOut(many=True)}), **ERRORS})
    def get(self, request, counter_id: int):
        counter = _counter(request, counter_id)
        return Response(selectors.counter_view(counter=counter, user=request.user))


class CallNextView(APIView):
    """Call the next ticket this counter may serve (priority, then original issue time)."""

    @extend_schema(request=None, responses={200: inline_serializer(
        "CallNextOut", {"ticket": TicketOut(allow_null=True), "detail": serializers.CharField()}),
        **ERRORS})
    def post(self, request, counter_id: int):
        ticket = services.ticket_call_next(counter=_counter(request, counter_id), by=request.user)
        if ticket is None:
            return Response({"ticket": None, "detail": "No one is waiting for this counter."})
        return Response({"ticket": ticket_out(ticket),
                         "detail": f"Called {ticket.display_number}."})


class CallNumberView(APIView):
    """Call a specific waiting ticket by number, out of turn."""

    @extend_schema(request=CallNumberIn, responses={200: TicketOut, **ERRORS})
    def post(self, request, counter_id: int):
        counter = _counter(request, counter_id)
        data = valid(CallNumberIn, request)
        ticket = services.ticket_call_number(counter=counter, by=request.user,
                                             number=data["number"])
        return Response(ticket_out(ticket))


_SIMPLE_ACTIONS = {
    "recall": services.ticket_recall,
    "start": services.ticket_start,
    "resume": services.ticket_resume,
    "no-show": services.ticket_no_show,
}


class TicketActionView(APIView):
    """recall, start, resume or no-show a ticket at this counter."""

    @extend_schema(request=None, responses={200: TicketOut, **ERRORS})
    def post(self, request, counter_id: str, ticket_id: str, action: str):
        counter = _counter(request, int(counter_id))
        ticket = _ticket_at_office(counter, int(ticket_id))
        ticket = _SIMPLE_ACTIONS[action](ticket=ticket, counter=counter, by=request.user)
        return Response(ticket_out(ticket))


class TicketCompleteView(APIView):
    """Finish the ticket's step with the units done there (left out: the step's defaults);
    with a next step it is a hand-off, with a reason and a note for the next counter."""

    @extend_schema(request=CompleteIn, responses={200: TicketOut, **ERRORS})
    def post(self, request, counter_id: int, ticket_id: int):
        counter = _counter(request, counter_id)
        data = valid(CompleteIn, request)
        ticket = services.ticket_complete(
            ticket=_ticket_at_office(counter, ticket_id), counter=counter, by=request.user,
            units=data.get("units"), reason=data["reason"], note=data["note"])
        return Response(ticket_out(ticket))


class TicketHoldView(APIView):
    """Park the counter's ticket; the counter is free for the next one."""

    @extend_schema(request=HoldIn, responses={200: TicketOut, **ERRORS})
    def post(self, request, counter_id: int, ticket_id: int):
        counter = _counter(request, counter_id)
        data = valid(HoldIn, request)
        ticket = services.ticket_hold(ticket=_ticket_at_office(counter, ticket_id),
                                      counter=counter, by=request.user, reason=data["reason"])
        return Response(ticket_out(ticket))


class TicketTransferView(APIView):
    """Move a ticket to another service or its next step, with a reason; it keeps its place."""

    @extend_schema(request=TransferIn, responses={200: TicketOut, **ERRORS})
    def post(self, request, counter_id: int, ticket_id: int):
        counter = _counter(request, counter_id)
        data = valid(TransferIn, request)
        to_service = None
        if data.get("to_service"):
            to_service = Service.objects.filter(
                pk=data["to_service"], office_id=counter.office_id, active=True).first()
            if to_service is None:
                return Response({"code": "service_not_found",
                                 "detail": "No such service at this office."}, status=404)
        ticket = services.ticket_transfer(
            ticket=_ticket_at_office(counter, ticket_id), counter=counter, by=request.user,
            reason=data["reason"], to_service=to_service, note=data["note"],
            units=data.get("units"),
        )
        return Response(ticket_out(ticket))


class TicketCancelView(APIView):
    """Staff cancel an open ticket."""

    @extend_schema(request=CancelIn, responses={200: TicketOut, **ERRORS})
    def post(self, request, counter_id: int, ticket_id: int):
        counter = _counter(request, counter_id)
        data = valid(CancelIn, request)
        ticket = services.ticket_cancel(ticket=_ticket_at_office(counter, ticket_id),
                                        by=request.user, reason=data.get("reason", ""))
        return Response(ticket_out(ticket))


class CounterStatusView(APIView):
    """Open the counter, take a break, or close it."""

    @extend_schema(request=CounterStatusIn, responses={200: inline_serializer(
        "CounterStatusOut", {"number": serializers.IntegerField(),
                             "status": serializers.CharField()}), **ERRORS})
    def post(self, request, counter_id: int):
        counter = _counter(request, counter_id)
        data = valid(CounterStatusIn, request)
        counter = services.counter_set_status(counter=counter, by=request.user,
                                              status=data["status"])
        return Response({"number": counter.number, "status": counter.status})


class OfficeSnapshotView(APIView):
    """Live snapshot of an office for staff screens (numbers only)."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, office_id: int):
        if not has_staff_role(request.user):
            raise Forbidden("Only staff may see the office snapshot.", code="no_staff_role")
        get_object_or_404(Office, pk=office_id)
        if not routing.may_see_office(office_id=office_id, user=request.user):
            raise Forbidden("This office is not one this account may see.",
                            code="office_not_allowed")
        return Response(selectors.office_snapshot(office_id=office_id))


class ServiceListView(APIView):
    """Active services of an office with waiting counts and estimated waits (public)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, office_id: int):
        get_object_or_404(Office, pk=office_id)
        return Response(selectors.service_queues(
            office_id=office_id, language=language_or(request.query_params.get("lang"))))


def health(request):
    """Cheapest endpoint: the benchmark's baseline and the load balancer's probe."""
    return JsonResponse({"ok": True})
