"""The booking fixtures (a schedule, slots) for the end-to-end retention test."""

from tests.appointments.conftest import schedule, slot_factory  # noqa: F401 - fixtures
