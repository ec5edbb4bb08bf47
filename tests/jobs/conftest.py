"""The booking fixtures (a schedule, slots) for the scheduler's tests."""

from tests.appointments.conftest import future_slot, schedule, slot_factory  # noqa: F401
