"""The REST API's paths under /api/v1/ (config/urls.py mounts them)."""

from django.urls import path, re_path

from . import bookings, converters, tickets  # noqa: F401 - converters registers <id:...>

urlpatterns = [
    # Kiosk and resident
    path("tickets/", tickets.TicketIssueView.as_view(), name="api-ticket-issue"),
    path("tickets/status/<str:token>/", tickets.TicketStatusView.as_view(),
         name="api-ticket-status"),
    path("tickets/status/<str:token>/leave/", tickets.TicketLeaveView.as_view(),
         name="api-ticket-leave"),
    path("tickets/status/<str:token>/on-my-way/", tickets.TicketOnMyWayView.as_view(),
         name="api-ticket-on-my-way"),
    path("tickets/status/<str:token>/notice/", tickets.TicketNoticeView.as_view(),
         name="api-ticket-notice"),
    path("tickets/status/<str:token>/rating/", tickets.TicketRatingView.as_view(),
         name="api-ticket-rating"),
    path("kiosk/check-in/", bookings.CheckInView.as_view(), name="api-kiosk-check-in"),
    # Offices and counters (staff)
    path("offices/<id:office_id>/services/", tickets.ServiceListView.as_view(),
         name="api-services"),
    path("offices/<id:office_id>/snapshot/", tickets.OfficeSnapshotView.as_view(),
         name="api-snapshot"),
    path("counters/<id:counter_id>/", tickets.CounterView.as_view(), name="api-counter"),
    path("counters/<id:counter_id>/status/", tickets.CounterStatusView.as_view(),
         name="api-counter-status"),
    path("counters/<id:counter_id>/call-next/", tickets.CallNextView.as_view(),
         name="api-call-next"),
    path("counters/<id:counter_id>/call/", tickets.CallNumberView.as_view(),
         name="api-call-number"),
    path("counters/<id:counter_id>/tickets/<id:ticket_id>/hold/",
         tickets.TicketHoldView.as_view(), name="api-ticket-hold"),
    path("counters/<id:counter_id>/tickets/<id:ticket_id>/complete/",
         tickets.TicketCompleteView.as_view(), name="api-ticket-complete"),
    path("counters/<id:counter_id>/tickets/<id:ticket_id>/transfer/",
         tickets.TicketTransferView.as_view(), name="api-ticket-transfer"),
    path("counters/<id:counter_id>/tickets/<id:ticket_id>/cancel/",
         tickets.TicketCancelView.as_view(), name="api-ticket-cancel"),
    re_path(r"^counters/(?P<counter_id>[0-9]{1,18})/tickets/(?P<ticket_id>[0-9]{1,18})/"
            r"(?P<action>recall|start|resume|no-show)/$",
            tickets.TicketActionView.as_view(), name="api-ticket-action"),
    # Bookings (public, through the QR link)
    path("bookings/slots/<slug:office_code>/<slug:service_code>/",
         bookings.SlotListView.as_view(), name="api-booking-slots"),
    path("bookings/", bookings.BookingCreateView.as_view(), name="api-booking-create"),
    path("bookings/<str:token>/cancel/", bookings.BookingCancelView.as_view(),
         name="api-booking-cancel"),
]
