"""Input validation and the OpenAPI shapes shared by the API's views."""

from rest_framework import serializers

from kiosk.links import status_url
from queueing.languages import LANGUAGE_CODES
from queueing.models import MAX_UNITS, Counter, Kind, Ticket
from queueing.privacy import refuse_individual_number

from .params import id_field


class TicketOut(serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.CharField(help_text="Display number, e.g. A012")
    service_id = serializers.IntegerField()
    step = serializers.CharField()
    step_kind = serializers.ChoiceField(choices=Kind.values)
    status = serializers.CharField()
    priority = serializers.IntegerField()
    counter = serializers.IntegerField(allow_null=True)
    issued_at = serializers.DateTimeField()
    version = serializers.IntegerField(allow_null=True,
                                       help_text="Office event version of the change")


class IssuedOut(TicketOut):
    token = serializers.CharField()
    status_url = serializers.CharField()


class IssueIn(serializers.Serializer):
    service = id_field()
    priority = serializers.ChoiceField(
        choices=[Ticket.Priority.NORMAL, Ticket.Priority.ASSISTANCE], default=0
    )
    language = serializers.ChoiceField(choices=LANGUAGE_CODES, default="ja")


class NoticeIn(serializers.Serializer):
    email = serializers.CharField(max_length=254, validators=[refuse_individual_number],
                                  help_text="Checked by appointments/contacts.py: a plain "
                                            "address, nothing that could break a header")


class RatingIn(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5,
                                     help_text="1 (not satisfied) to 5 (very satisfied)")
    comment = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                    validators=[refuse_individual_number],
                                    help_text="Optional; nothing personal, never a 12-digit "
                                              "Individual Number")


class CallNumberIn(serializers.Serializer):
    number = serializers.CharField(max_length=10, validators=[refuse_individual_number])


class UnitIn(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, help_text="A unit id (the console's view)")
    quantity = serializers.IntegerField(min_value=0, max_value=MAX_UNITS)


class UnitsField(serializers.ListField):
    """What the counter did at the step: [{unit, quantity}]; left out, the step's defaults."""

    child = UnitIn()

    def to_internal_value(self, data):
        rows = super().to_internal_value(data)
        return {row["unit"]: row["quantity"] for row in rows}


class TransferIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, validators=[refuse_individual_number])
    to_service = id_field(required=False, allow_null=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                 validators=[refuse_individual_number],
                                 help_text="For the next counter; staff-facing only")
    units = UnitsField(required=False, allow_empty=True)


class CompleteIn(serializers.Serializer):
    units = UnitsField(required=False, allow_empty=True)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                   validators=[refuse_individual_number],
                                   help_text="For a step that has a next one")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                 validators=[refuse_individual_number],
                                 help_text="For the next counter; staff-facing only")


class HoldIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, validators=[refuse_individual_number])


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                   validators=[refuse_individual_number])


class CounterStatusIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=Counter.Status.values)


class ErrorOut(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def valid(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request's validated data, or a 400 with the fields that are wrong."""
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def ticket_out(t: Ticket) -> dict:
    """The API's representation of a ticket (numbers only, no personal data)."""
    return {
        "id": t.id,
        "ticket": t.display_number,
        "service_id": t.service_id,
        "step": t.step.name,
        "step_kind": t.step.kind,
        "status": t.status,
        "priority": t.priority,
        "counter": t.counter.number if t.counter_id else None,
        "issued_at": t.issued_at,
        # The office event version of the change that produced this answer, if any.
        "version": getattr(t, "event_version", None),
    }


def issued_out(request, t: Ticket) -> dict:
    """A newly issued ticket for the kiosk: the ticket, its token and its status link."""
    return {**ticket_out(t), "token": t.token, "status_url": status_url(request, t.token)}
