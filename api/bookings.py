"""Booking API under /api/v1/: open slots, booking, manage-link actions, kiosk check-in.

Thin: parse, call a service or selector, render. Errors leave as JSON
``{"code", "detail"}`` through ``api/errors.py``; a refused check-in adds ``walk_in``
(``{"possible", "advice"}``): whether the kiosk can offer a walk-in ticket now.
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status, throttling
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments import selectors, services
from appointments.models import Booking, Slot
from queueing.errors import NotFound, QueueError
from queueing.languages import LANGUAGE_CODES
from queueing.privacy import refuse_individual_number

from .devices import DeviceKeyAuthentication, DeviceRateThrottle, IsKiosk
from .errors import api_exception_handler
from .params import id_field
from .serializers import ErrorOut, IssuedOut, issued_out, valid

ERRORS = {400: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class SlotOut(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    seats_left = serializers.IntegerField()


class BookingIn(serializers.Serializer):
    slot = id_field()
    # Free text: refused when it holds an Individual Number (the phone in domestic form,
    # by the service, since +81 90 1234 5678 has 12 digits too).
    notice_reference = serializers.CharField(max_length=40, validators=[refuse_individual_number])
    birth_date = serializers.DateField()
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="",
                                  validators=[refuse_individual_number])
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    party_size = serializers.IntegerField(min_value=1, max_value=20, default=1)
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, default="ja")


class BookingOut(serializers.Serializer):
    reference = serializers.CharField(help_text="Booking code XXXX-XXXX (also the QR payload)")
    token = serializers.CharField(help_text="Secret of the private manage link")
    manage_url = serializers.CharField()
    status = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    party_size = serializers.IntegerField()


class CheckInIn(serializers.Serializer):
    reference = serializers.CharField(max_length=200, validators=[refuse_individual_number])
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, required=False)


class BookingRateThrottle(throttling.AnonRateThrottle):
    """Holds and bookings per client address (setting ``BOOKING_RATE``, default 30/hour).

    The booking link is public: without a limit one script could hold or book
    every seat of a day. Residents behind one carrier NAT share an address, so
    the default is generous; the web form and the API count together. The
    address is ``REMOTE_ADDR``, which the ASGI server's ``--proxy-headers`` takes from
    nginx (docs/deploy.md), never a header the client sent.
    """

    scope = "booking"


def booking_out(request, b: Booking) -> dict:
    """The API's representation of a booking for its owner (no personal data echoed)."""
    return {
        "reference": b.reference, "token": b.token,
        "manage_url": request.build_absolute_uri(reverse("booking-manage", args=[b.token])),
        "status": b.status, "start": b.slot.start, "end": b.slot.end,
        "party_size": b.party_size,
    }


class SlotListView(APIView):
    """Bookable slots of a service at an office with free seats (public)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(responses={200: SlotOut(many=True), 404: ErrorOut})
    def get(self, request, office_code: str, service_code: str):
        schedule = selectors.schedule_for(office_code=office_code, service_code=service_code)
        if schedule is None:
            raise NotFound("This office does not take bookings for that service.",
                           code="schedule_not_found")
        return Response([{"id": s.id, "start": s.start, "end": s.end, "capacity": s.capacity,
                          "seats_left": s.seats_left}
                         for s in selectors.open_slots(schedule=schedule)])


class BookingCreateView(APIView):
    """Book seats of a slot: 201 with the booking code, or 409 slot_full / already_booked."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = [BookingRateThrottle]

    def throttled(self, request, wait):
        """429 with the same plain words as the booking form."""
        raise exceptions.Throttled(wait, detail=_(
            "Too many bookings were made from this network. Please try again later."))

    @extend_schema(request=BookingIn, responses={201: BookingOut, 429: ErrorOut, **ERRORS})
    def post(self, request):
        data = valid(BookingIn, request)
        slot = Slot.objects.select_related("schedule").filter(pk=data["slot"]).first()
        if slot is None:
            raise NotFound("No such slot.", code="slot_not_found")
        b = services.booking_create(
            slot=slot, notice_reference=data["notice_reference"], birth_date=data["birth_date"],
            email=data["email"], phone=data["phone"], party_size=data["party_size"],
            language=data["language"], client=request.META.get("REMOTE_ADDR", ""))
        return Response(booking_out(request, b), status=status.HTTP_201_CREATED)


class BookingCancelView(APIView):
    """Cancel through the manage link's secret (before the deadline)."""

    authentication_classes = []
    permission_classes = []

    @extend_schema(request=None, responses={200: BookingOut, **ERRORS})
    def post(self, request, token: str):
        b = get_object_or_404(Booking.objects.select_related("slot"), token=token)
        return Response(booking_out(request, services.booking_cancel(booking=b)))


class CheckInView(APIView):
    """Kiosk check-in: the booking code (typed or scanned) becomes a priority ticket."""

    authentication_classes = [DeviceKeyAuthentication]
    permission_classes = [IsKiosk]
    throttle_classes = [DeviceRateThrottle]

    @extend_schema(request=CheckInIn, responses={201: IssuedOut, **ERRORS})
    def post(self, request):
        data = valid(CheckInIn, request)
        try:
            ticket = services.booking_check_in(reference=data["reference"],
                                               device=request.auth,
                                               language=data.get("language"))
        except QueueError as refusal:
            walk_in = getattr(refusal, "walk_in", None)
            if walk_in is None:
                raise
            # The refusal as every error, plus whether the kiosk can offer a walk-in ticket.
            response = api_exception_handler(refusal, {"view": self, "request": request})
            response.data["walk_in"] = {"possible": walk_in.possible, "advice": walk_in.advice}
            return response
        return Response(issued_out(request, ticket), status=status.HTTP_201_CREATED)
