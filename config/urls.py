"""URL map: each app owns its paths; the API lives under /api/v1/."""

from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api.tickets import health

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health/", health, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script (CSP). Swagger
    # UI writes <style> elements at run time, so this one developer page (no personal data,
    # no form of the product) allows inline styles; scripts stay 'self' only.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/v1/", include("api.urls")),
    path("api/v1/", include("congestion.api")),
    path("", include("staff.urls")),
    path("", include("displays.urls")),
    path("", include("kiosk.urls")),
    path("", include("appointments.urls")),
    path("", include("congestion.urls")),
]

# Errors: JSON {code, detail} under /api/, a plain page in the page's language elsewhere.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
