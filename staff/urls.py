"""Staff console (/staff/) and supervisor pages (/supervisor/)."""

from django.urls import path

from api import converters  # noqa: F401 - registers <id:...>

from . import setup, views

urlpatterns = [
    path("staff/login/", views.StaffLoginView.as_view(), name="staff-login"),
    path("staff/logout/", views.StaffLogoutView.as_view(), name="staff-logout"),
    path("staff/", views.staff_home, name="staff-home"),
    path("staff/counter/<id:counter_id>/", views.console, name="staff-console"),
    path("supervisor/", views.dashboard, name="supervisor-dashboard"),
    path("supervisor/history/", views.history, name="supervisor-history"),
    path("supervisor/contract/", views.contract, name="supervisor-contract"),
    path("supervisor/plan/", views.staffing_plan, name="supervisor-plan"),
    path("supervisor/audit/", views.audit_log, name="supervisor-audit"),
    path("supervisor/jobs/", views.jobs_board, name="supervisor-jobs"),
    path("supervisor/setup/", setup.setup_home, name="supervisor-setup"),
    path("supervisor/setup/offices/new/", setup.office_add, name="setup-office-add"),
    path("supervisor/setup/companies/new/", setup.company_add, name="setup-company-add"),
    path("supervisor/setup/<id:office_id>/counters/new/", setup.counter_add,
         name="setup-counter-add"),
    path("supervisor/setup/<id:office_id>/services/new/", setup.service_add,
         name="setup-service-add"),
    path("supervisor/setup/<id:office_id>/contracts/new/", setup.contract_add,
         name="setup-contract-add"),
    path("supervisor/setup/<id:office_id>/devices/new/", setup.device_add,
         name="setup-device-add"),
    path("supervisor/join-poster/", views.join_poster, name="supervisor-join-poster"),
]
