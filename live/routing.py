"""WebSocket routes of every live screen (config/asgi.py wraps them in the origin check).

Only the staff screens carry a session and a user: lobby displays and status
pages are anonymous by design, and Channels' session wrapper looked at the
session on every frame sent (5% of a daphne process's time at 1000 sockets,
py-spy on ``python -m bench fanout``).
"""

from channels.auth import AuthMiddlewareStack
from django.urls import path

from api import converters  # noqa: F401 - registers <id:...>

from . import consumers

websocket_urlpatterns = [
    path("ws/display/<str:key>/", consumers.DisplayConsumer.as_asgi()),
    path("ws/ticket/<str:token>/", consumers.TicketConsumer.as_asgi()),
    path("ws/counter/<id:counter_id>/", AuthMiddlewareStack(consumers.CounterConsumer.as_asgi())),
    path("ws/dashboard/<id:office_id>/",
         AuthMiddlewareStack(consumers.DashboardConsumer.as_asgi())),
]
