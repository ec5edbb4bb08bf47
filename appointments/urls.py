"""Booking pages (filled in by the booking work)."""

urlpatterns: list = []
