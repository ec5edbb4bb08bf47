"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels consumers."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from api.kiosk_issue import KioskIssuePath  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402
from live.sweeps import sweeping  # noqa: E402

from . import daphne_bodies  # noqa: E402, F401 - bodies reach Django unparsed (see there)

# The process's counter-presence sweep starts with its first connection (live/sweeps.py).
application = sweeping(ProtocolTypeRouter(
    {
        # A kiosk's ticket issue is answered before Django's middleware (api/kiosk_issue.py).
        "http": KioskIssuePath(django_asgi_app),
        # Staff sockets add the session and user themselves (live/routing.py).
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
))
