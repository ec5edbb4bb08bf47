"""Booking API under /api/v1/ (filled in by the booking work)."""

urlpatterns: list = []
