"""A contract always names its company (0011 gave every existing contract one); the typed
company name is gone, the company record holds it. A migration of its own: PostgreSQL does
not alter a table with pending trigger events from 0011's updates in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('queueing', '0014_contractor_company'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='contract',
            name='contractor',
        ),
        migrations.AlterField(
            model_name='contract',
            name='company',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='queueing.contractorcompany', verbose_name='委託事業者'),
        ),
    ]
