"""The contract's countable units a counter records when a step ends (出来高).

One home for what may be recorded: a step's defaults (so completing costs one
key press), and what a counter says it did, checked (units of the office that
are recorded, not measured, in quantities 0 to ``MAX_UNITS``; 0 records
nothing). Counter-hours are measured from the counters' audit trail instead.
The services write what this returns (``WorkUnit`` rows on the audit row of
the step's end).
"""

from collections.abc import Mapping

from .errors import QueueError
from .models import MAX_UNITS, Step, StepUnit, Unit


def step_defaults(*, step_id: int) -> list[dict]:
    """The units a step's counter records by default, with their quantities, in order."""
    return [{"unit_id": u.unit_id, "name": u.unit.name, "default": u.default_quantity}
            for u in StepUnit.objects.filter(step_id=step_id).select_related("unit")]


def recorded_at(step: Step, given: Mapping[int, int] | None) -> dict[int, int]:
    """What the counter did at the step, by unit id: the step's defaults when nothing is
    given, else what was given, checked (a refusal says why)."""
    if given is None:
        return {u.unit_id: u.default_quantity for u in step.units.all() if u.default_quantity}
    allowed = set(Unit.objects.filter(office_id=step.service.office_id).exclude(
        measure=Unit.Measure.COUNTER_HOUR).values_list("pk", flat=True))
    recorded = {}
    for unit_id, quantity in given.items():
        if unit_id not in allowed:
            raise QueueError("その実績の区分はこの事務所にありません。 "
                             "No such unit at this office.", code="unit_not_found")
        if not 0 <= quantity <= MAX_UNITS:
            raise QueueError(f"数量は0から{MAX_UNITS}までです。 A quantity is 0 to {MAX_UNITS}.",
                             code="bad_quantity")
        if quantity:
            recorded[unit_id] = quantity
    return recorded
