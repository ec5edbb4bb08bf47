"""Configuration history: every change of the day's configuration, who made it, before and after.

django-auditlog keeps it (one ``LogEntry`` table: actor, time, address, and
each changed field's old and new value), filled by its own signal receivers
and ``AuditlogMiddleware`` (the signed-in admin as actor). Chosen over
django-simple-history because a city's security officer reads one log of
changes across every model, which is auditlog's shape; simple-history keeps a
shadow table per model and offers reverting from the admin, which an audit
must not. Operational state that services change all day (a counter's
status, an office's event version) and secrets (device keys, password
hashes) are left out.
"""

from auditlog.registry import auditlog
from django.contrib.auth.models import Group, User

from .models import (
    Contract,
    ContractLevel,
    ContractorCompany,
    ContractorStaff,
    ContractPrice,
    Counter,
    CounterService,
    Device,
    Office,
    OfficeClosure,
    OfficeExtraOpening,
    OfficeHours,
    OfficeStaff,
    Service,
    Step,
)

SECRETS = ["key", "password"]


def track(model, *, exclude: list[str] = (), m2m: list[str] = ()) -> None:
    """Record every create, change and delete of the model (fields in ``exclude`` left out)."""
    auditlog.register(model, exclude_fields=[*SECRETS, *exclude], m2m_fields=set(m2m))


def register() -> None:
    """Register the core's configuration models and the staff accounts (``ready()``)."""
    track(Office, exclude=["event_version"])
    track(Service)
    track(Step)
    track(Counter, exclude=["status"])
    track(CounterService)
    track(OfficeHours)
    track(OfficeClosure)
    track(OfficeExtraOpening)
    # Who works where: the contractor companies, their contracts and accounts, the offices
    # municipal staff belong to (routing.offices_for reads them).
    track(ContractorCompany)
    track(Contract)
    track(ContractPrice)
    track(ContractLevel)
    track(ContractorStaff)
    track(OfficeStaff)
    track(Device, m2m=["services"])
    track(User, exclude=["last_login"], m2m=["groups", "user_permissions"])
    track(Group, m2m=["permissions"])
