"""Staff console (/staff/) and supervisor pages (/supervisor/)."""

from django.urls import path

from . import converters, views  # noqa: F401 - converters registers <id:...>

urlpatterns = [
    path("staff/login/", views.StaffLoginView.as_view(), name="staff-login"),
    path("staff/logout/", views.StaffLogoutView.as_view(), name="staff-logout"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/counter/<id:counter_id>/", views.console, name="staff-console"),
    path("supervisor/", views.dashboard, name="supervisor-dashboard"),
    path("supervisor/live/", views.dashboard_live, name="supervisor-live"),
    path("supervisor/history/", views.history, name="supervisor-history"),
    path("supervisor/contract/", views.contract, name="supervisor-contract"),
]
