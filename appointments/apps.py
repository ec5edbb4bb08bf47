from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "マイナンバーカード交付予約"

    def ready(self):
        """Booking rules are configuration: their changes go to the configuration history."""
        from queueing.history import track

        from . import services  # noqa: F401 - registers the bookings' retention eraser
        from .models import ClosedDay, ExtraOpening, Schedule, WeeklyRule

        for model in (Schedule, WeeklyRule, ClosedDay, ExtraOpening):
            track(model)
