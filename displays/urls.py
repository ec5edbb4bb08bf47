"""Lobby display pages (filled in by the display work)."""

urlpatterns: list = []
