# Failed sends are now RecordFailure rows (queueing.isolation), one model for every job.

from django.db import migrations


def copy_failures(apps, schema_editor):
    old = apps.get_model("appointments", "NotificationFailure")
    new = apps.get_model("queueing", "RecordFailure")
    new.objects.bulk_create(
        new(job="bookings_notify", record=f"booking {f.booking_id} {f.kind}", at=f.at,
            attempt=f.attempt, error=f.error)
        for f in old.objects.all())


class Migration(migrations.Migration):

    dependencies = [
        ('appointments', '0003_free_text_and_notification_failures'),
        ('queueing', '0008_record_failure'),
    ]

    operations = [
        migrations.RunPython(copy_failures, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='NotificationFailure',
        ),
    ]
