"""What a job run counted. The runs themselves (status, duration, exception) are
django-apscheduler's ``DjangoJobExecution`` rows; this adds the job's own counts."""

from django.db import models
from django_apscheduler.models import DjangoJobExecution


class JobCounts(models.Model):
    """The counts a finished run returned (e.g. ``{"confirmation": 3, "failed": 1}``)."""

    execution = models.OneToOneField(DjangoJobExecution, on_delete=models.CASCADE,
                                     related_name="counts")
    counts = models.JSONField()

    def __str__(self) -> str:
        return f"{self.execution_id} {self.counts}"
