"""The hybrid rule, in one place: which counter may serve which step, and who may work where.

A counter serves the steps of its own kind: contractor-run counters (委託窓口)
take outsourced steps, staff counters (職員窓口) take staff-only steps. So a
staff-only step is never offered to, called by or shown in detail at an
outsourced counter, and routine steps are not swallowed by staff counters.
A contractor account may work only at outsourced counters; municipal staff and
supervisors may work at any counter. Every path (API, console, WebSocket,
kiosk check-in) goes through these functions.

Who may work where (``offices_for``): a contractor account only at the offices
where its company (委託事業者) holds a contract in force today; municipal staff and
supervisors at the offices they belong to; a city-wide supervisor everywhere. Every
console, supervisor page, API answer and socket takes its offices from there.
"""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from .errors import Forbidden
from .models import Contract, Counter, CounterService, Kind, Office, Step, Ticket
from .roles import Role, is_city_wide, is_supervisor, role_of

# The call order, in one place: priority (checked-in appointments, then residents
# who need assistance), then the counter's own ranking of its services, then the
# original issue time, which a ticket keeps across steps and transfers.
CALL_ORDER = ("-priority", "service_rank", "issued_at", "id")


def line_position(*, priority: int, issued_at: datetime.datetime, id: object,
                  rank: int = 0) -> tuple:
    """``CALL_ORDER`` as a Python sort key: smaller is called first (rank 0 within one line)."""
    return (-priority, rank, issued_at, id)


def kind_serves(*, counter_kind: str, step_kind: str) -> bool:
    """The hybrid rule itself: a counter serves the steps of its own kind."""
    return counter_kind == step_kind


def may_handle(*, step: Step, counter: Counter) -> bool:
    """True when the counter's kind may serve this step (the hybrid rule)."""
    return kind_serves(counter_kind=counter.kind, step_kind=step.kind)


def offices_for(*, user: AbstractBaseUser) -> QuerySet[Office]:
    """The offices this user may see and work at (none without a staff role).

    A contractor account: the offices where its company holds a contract in force
    today (Asia/Tokyo), so an account works for its own company only (偽装請負 line);
    municipal staff and supervisors: the offices they belong to; a city-wide
    supervisor: every office.
    """
    role = role_of(user)
    if role is None:
        return Office.objects.none()
    if role is Role.CONTRACTOR:
        today = timezone.localdate()
        in_force = Contract.objects.filter(company__staff__user=user, starts_on__lte=today,
                                           ends_on__gte=today)
        return Office.objects.filter(pk__in=in_force.values("office_id"))
    if is_city_wide(user):
        return Office.objects.all()
    return Office.objects.filter(staff__user=user)


def offices_to_configure(*, user: AbstractBaseUser) -> QuerySet[Office]:
    """The offices whose configuration (counters, services and steps, contracts, kiosks) this
    user may change: a supervisor's own offices (``offices_for``), every office for a
    city-wide supervisor; none for municipal staff and contractor accounts.

    What belongs to the whole installation (a new office, a contractor company) only a
    city-wide supervisor adds (``may_configure_installation``). Every configuration page
    and every office-scoped staff page takes its offices from here or ``offices_for``.
    """
    if not is_supervisor(user):
        return Office.objects.none()
    return offices_for(user=user)


def may_configure(*, office_id: int, user: AbstractBaseUser) -> bool:
    """True when the office is one of ``offices_to_configure`` the user."""
    return offices_to_configure(user=user).filter(pk=office_id).exists()


def may_configure_installation(*, user: AbstractBaseUser) -> bool:
    """True when the user may add an office (本庁・支所・出張所) or a contractor company
    (委託事業者): city-wide supervisors only, since both reach beyond one office."""
    return is_city_wide(user)


def may_see_office(*, office_id: int, user: AbstractBaseUser) -> bool:
    """True when the office is one of ``offices_for`` the user."""
    return offices_for(user=user).filter(pk=office_id).exists()


def counters_for(*, user: AbstractBaseUser) -> QuerySet[Counter]:
    """The counters this user may sign in at: those of its offices, outsourced ones only for
    a contractor account (the same rule as ``may_operate``, for a whole list)."""
    counters = Counter.objects.filter(office__in=offices_for(user=user))
    if role_of(user) is Role.CONTRACTOR:
        counters = counters.filter(kind=Kind.OUTSOURCED)
    return counters


def _operate_refusal(*, counter: Counter, user: AbstractBaseUser) -> Forbidden | None:
    role = role_of(user)
    if role is None:
        return Forbidden("Only counter staff may act at a counter.", code="no_staff_role")
    if role is Role.CONTRACTOR and counter.kind != Kind.OUTSOURCED:
        return Forbidden(
            f"Counter {counter.number} is a staff-only counter; contractor accounts may work "
            "only at outsourced counters.",
            code="counter_not_allowed",
        )
    if not may_see_office(office_id=counter.office_id, user=user):
        if role is Role.CONTRACTOR:
            detail = (f"Counter {counter.number} is at an office where your company holds no "
                      "contract in force; contractor accounts work only at the offices of "
                      "their company's contracts.")
        else:
            detail = (f"Counter {counter.number} is at an office you do not belong to; ask "
                      "the administrator to add the office to your account.")
        return Forbidden(detail, code="office_not_allowed")
    return None


def may_operate(*, counter: Counter, user: AbstractBaseUser) -> bool:
    """True when the user may sign in and act at this counter: its kind for the user's role
    (contractors at outsourced counters only) and its office among ``offices_for``."""
    return _operate_refusal(counter=counter, user=user) is None


def ensure_can_operate(*, counter: Counter, user: AbstractBaseUser) -> None:
    """Refuse (403, with the reason's code) a user who may not work at this counter."""
    refusal = _operate_refusal(counter=counter, user=user)
    if refusal is not None:
        raise refusal


def ensure_can_handle(*, ticket: Ticket, counter: Counter) -> None:
    """Refuse (403) a ticket whose current step this counter may not serve."""
    if ticket.office_id != counter.office_id:
        raise Forbidden("This ticket belongs to another office.", code="wrong_office")
    if not may_handle(step=ticket.step, counter=counter):
        if ticket.step.kind == Kind.STAFF_ONLY:
            detail = (
                f"Ticket {ticket.display_number} is at a staff-only step and can be served "
                "only at a staff counter."
            )
        else:
            detail = (
                f"Ticket {ticket.display_number} is at an outsourced step; staff counters "
                "serve staff-only steps."
            )
        raise Forbidden(detail, code="step_not_allowed_here")


def ensure_may_act_on(*, ticket: Ticket, user: AbstractBaseUser) -> None:
    """Refuse (403) a user without a staff role, a ticket of an office not among the user's,
    or a contractor touching a staff-only step."""
    role = role_of(user)
    if role is None:
        raise Forbidden("Only counter staff may change a ticket.", code="no_staff_role")
    if not may_see_office(office_id=ticket.office_id, user=user):
        raise Forbidden(f"Ticket {ticket.display_number} belongs to an office you may not "
                        "work at.", code="office_not_allowed")
    if role is Role.CONTRACTOR and ticket.step.kind == Kind.STAFF_ONLY:
        raise Forbidden(
            f"Ticket {ticket.display_number} is at a staff-only step; contractor accounts "
            "may not act on it.",
            code="step_not_allowed_here",
        )


def served_service_ids(*, office_id: int) -> set[int]:
    """The office's services whose first step some counter of the right kind serves: a
    ticket for any other would wait for a counter that never calls it."""
    first_order = Step.objects.filter(service_id=OuterRef("service_id")).order_by("order")
    counter_of_its_kind = CounterService.objects.filter(
        service_id=OuterRef("service_id"), counter__kind=OuterRef("kind"))  # kind_serves, in SQL
    return set(Step.objects.filter(service__office_id=office_id,
                                   order=Subquery(first_order.values("order")[:1]))
               .filter(Exists(counter_of_its_kind)).values_list("service_id", flat=True))


def serves(*, counter: Counter) -> QuerySet[Ticket]:
    """Tickets of the counter's services whose current step the counter may serve."""
    return Ticket.objects.filter(
        office_id=counter.office_id,
        service_id__in=CounterService.objects.filter(counter=counter).values("service_id"),
        step__kind=counter.kind,  # kind_serves, in SQL
    )


def waiting_line(*, counter: Counter,
                 callable_at: datetime.datetime | None = None) -> QuerySet[Ticket]:
    """The waiting tickets this counter may call, in the order it calls them (``CALL_ORDER``).

    With ``callable_at``, only those "call next" may offer then: a ticket in its
    no-show cooldown keeps its place but is skipped until ``call_after``.
    """
    rank = CounterService.objects.filter(counter=counter, service_id=OuterRef("service_id"))
    line = serves(counter=counter).filter(status=Ticket.Status.WAITING)
    if callable_at is not None:
        line = line.filter(Q(call_after__isnull=True) | Q(call_after__lte=callable_at))
    return (
        line.annotate(service_rank=Subquery(rank.values("rank")[:1]))
        .order_by(*CALL_ORDER)
    )


def visible_detail(*, ticket: Ticket, counter: Counter | None, user: AbstractBaseUser) -> bool:
    """True when the user may see more than the number and service of this ticket.

    Contractors see detail only for the ticket their outsourced counter is
    serving, and never for a staff-only step.
    """
    role = role_of(user)
    if role is None:
        return False
    if role is not Role.CONTRACTOR:
        return True
    return (
        counter is not None
        and counter.kind == Kind.OUTSOURCED
        and ticket.counter_id == counter.id
        and ticket.step.kind == Kind.OUTSOURCED
    )
