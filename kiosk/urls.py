"""Kiosk and resident status pages."""

from django.urls import path

from . import phone, views

urlpatterns = [
    path("kiosk/<str:key>/", views.kiosk_start, name="kiosk-start"),
    path("kiosk/<str:key>/ticket/<str:token>/", views.kiosk_ticket, name="kiosk-ticket"),
    path("kiosk/<str:key>/maintenance/", views.kiosk_maintenance, name="kiosk-maintenance"),
    path("t/<str:token>/", views.ticket_status_page, name="ticket-status-page"),
    path("join/<slug:office_code>/", phone.phone_join, name="phone-join"),
]
