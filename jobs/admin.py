"""Job runs are records, not settings: nobody edits, deletes or starts them from the admin
(django-apscheduler registers admin pages that would; supervisors read /supervisor/jobs/)."""

from django.contrib import admin
from django_apscheduler.models import DjangoJob, DjangoJobExecution

for model in (DjangoJob, DjangoJobExecution):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
