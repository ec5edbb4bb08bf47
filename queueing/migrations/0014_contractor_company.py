"""The contractor company (委託事業者) becomes a record of its own, and accounts get their
company or offices.

Existing data keeps working: every contract's typed company name becomes a company
record it points at; accounts keep the access they had (contractor accounts join the
company when there is just one, municipal staff and supervisors belong to every
existing office) until the city narrows it in the admin.
"""

import django.db.models.deletion
import queueing.privacy
from django.conf import settings
from django.db import migrations, models


def companies_from_contracts(apps, schema_editor):
    """One company per distinct typed contractor name; each contract points at its own."""
    Contract = apps.get_model("queueing", "Contract")
    Company = apps.get_model("queueing", "ContractorCompany")
    for contract in Contract.objects.all():
        name = (contract.contractor or "").strip() or "委託事業者 (名称未設定)"
        contract.company, _ = Company.objects.get_or_create(name=name)
        contract.save(update_fields=["company"])


def accounts_keep_their_access(apps, schema_editor):
    """Accounts keep what they could do before: contractors join the one company (if there is
    exactly one), municipal staff and supervisors belong to every office."""
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Company = apps.get_model("queueing", "ContractorCompany")
    ContractorStaff = apps.get_model("queueing", "ContractorStaff")
    Office = apps.get_model("queueing", "Office")
    OfficeStaff = apps.get_model("queueing", "OfficeStaff")
    companies = list(Company.objects.all()[:2])
    if len(companies) == 1:
        for user in User.objects.filter(groups__name="contractor").distinct():
            ContractorStaff.objects.get_or_create(user=user, defaults={"company": companies[0]})
    offices = list(Office.objects.all())
    city_staff = (User.objects.filter(groups__name__in=["municipal", "supervisor"])
                  .exclude(groups__name="contractor").distinct())
    for user in city_staff:
        for office in offices:
            OfficeStaff.objects.get_or_create(user=user, office=office)


class Migration(migrations.Migration):

    dependencies = [
        ('queueing', '0013_office_phone_join'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ContractorCompany',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', queueing.privacy.FreeTextField(help_text='会社名 (個人名は入れない)', max_length=200, unique=True, verbose_name='事業者名')),
            ],
            options={
                'verbose_name': '委託事業者',
                'verbose_name_plural': '委託事業者',
                'ordering': ['name', 'id'],
            },
        ),
        migrations.AddField(
            model_name='contract',
            name='company',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='contracts', to='queueing.contractorcompany', verbose_name='委託事業者'),
        ),
        migrations.CreateModel(
            name='ContractorStaff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('company', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='staff', to='queueing.contractorcompany', verbose_name='委託事業者')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='contractor_staff', to=settings.AUTH_USER_MODEL, verbose_name='アカウント')),
            ],
            options={
                'verbose_name': '委託事業者の従事者',
                'verbose_name_plural': '委託事業者の従事者',
            },
        ),
        migrations.CreateModel(
            name='OfficeStaff',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('office', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='staff', to='queueing.office', verbose_name='庁舎')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='office_memberships', to=settings.AUTH_USER_MODEL, verbose_name='アカウント')),
            ],
            options={
                'verbose_name': '職員の所属庁舎',
                'verbose_name_plural': '職員の所属庁舎',
                'constraints': [models.UniqueConstraint(fields=('user', 'office'), name='office_staff_unique')],
            },
        ),
        migrations.RunPython(companies_from_contracts, migrations.RunPython.noop),
        migrations.RunPython(accounts_keep_their_access, migrations.RunPython.noop),
    ]
