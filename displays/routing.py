"""WebSocket routes of every live screen (config/asgi.py wraps them in origin and auth checks)."""

from django.urls import path

from queueing import converters  # noqa: F401 - registers <id:...>

from . import consumers

websocket_urlpatterns = [
    path("ws/display/<str:key>/", consumers.DisplayConsumer.as_asgi()),
    path("ws/ticket/<str:token>/", consumers.TicketConsumer.as_asgi()),
    path("ws/office/<id:office_id>/", consumers.OfficeConsumer.as_asgi()),
]
