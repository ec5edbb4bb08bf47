"""WebSocket routes of every live screen."""

websocket_urlpatterns: list = []
