"""Kiosk and resident status pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("t/<str:token>/", views.ticket_status_page, name="ticket-status-page"),
]
