"""Booking pages: the QR poster's link, the manage link, staff views."""

from django.urls import path, re_path

from api import converters  # noqa: F401 - registers <id:...>

from . import views

urlpatterns = [
    path("book/hold/<str:token>/", views.hold, name="booking-hold"),
    path("book/manage/<str:token>/", views.manage, name="booking-manage"),
    path("book/manage/<str:token>/cancel/", views.cancel, name="booking-cancel"),
    path("book/manage/<str:token>/change/", views.change, name="booking-change"),
    path("book/<slug:office_code>/<slug:service_code>/", views.calendar, name="booking-calendar"),
    path("book/<slug:office_code>/<slug:service_code>/poster/", views.poster,
         name="booking-poster"),
    path("book/<slug:office_code>/<slug:service_code>/slot/<id:slot_id>/", views.identify,
         name="booking-identify"),
    re_path(r"^book/(?P<office_code>[-\w]+)/(?P<service_code>[-\w]+)/"
            r"(?P<date>\d{4}-\d{2}-\d{2})/$", views.day, name="booking-day"),
    path("staff/bookings/<slug:office_code>/", views.staff_day, name="staff-bookings"),
    path("staff/bookings/<slug:office_code>/<slug:service_code>/phone/",
         views.staff_phone_booking, name="staff-phone-booking"),
]
