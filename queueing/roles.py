"""The three staff roles, held as Django groups, and the city-wide supervisors' group.

Where each may work and what it may see (its company's contracts, its offices) is
``routing.offices_for``.
"""

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class Role(StrEnum):
    """A staff role; the value is the group's name."""

    CONTRACTOR = "contractor"  # 委託事業者のスタッフ
    MUNICIPAL = "municipal"  # 市職員
    SUPERVISOR = "supervisor"  # 管理者


# Supervisors in this group see every office (全庁の監督者); the other supervisors see the
# offices they belong to. A group of its own, not a fourth role: everything a role decides
# (the console, the reports, what a counter shows) is the same; only the scope widens.
# Being in it makes an account a supervisor even without the supervisor group.
CITY_WIDE_GROUP = "city_supervisor"

ROLE_LABELS = {Role.CONTRACTOR: "委託 Contractor", Role.MUNICIPAL: "職員 Municipal staff",
               Role.SUPERVISOR: "監督者 Supervisor"}


def role_label(role: str | None) -> str:
    """A role's bilingual label: what the city's views show of who works at a counter."""
    return ROLE_LABELS.get(role, "") if role else ""


def _group_names(user: AbstractBaseUser) -> set[str]:
    names = getattr(user, "_role_names", None)
    if names is None:
        names = user._role_names = {g.name for g in user.groups.all()}
    return names


def role_of(user: AbstractBaseUser | AnonymousUser | None) -> Role | None:
    """The strongest role a user holds, or None for anonymous users and users without one.

    A user in the contractor group is always treated as a contractor, even if
    someone also put them in another group: the hybrid rule must not be
    widened by a configuration slip.
    """
    if user is None or not user.is_authenticated:
        return None
    names = _group_names(user)
    if Role.CONTRACTOR in names:
        return Role.CONTRACTOR
    if Role.SUPERVISOR in names or CITY_WIDE_GROUP in names:
        return Role.SUPERVISOR
    if Role.MUNICIPAL in names:
        return Role.MUNICIPAL
    return None


def has_staff_role(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """True for contractor staff, municipal staff and supervisors (who may work a counter)."""
    return role_of(user) is not None


def is_city_staff(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """True for the city's own staff (職員: municipal staff and supervisors), never a contractor.

    They see residents' booking details, take bookings by phone and maintain
    kiosks; contractor staff see only what the step they serve needs.
    """
    return role_of(user) in (Role.MUNICIPAL, Role.SUPERVISOR)


def is_supervisor(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """True for supervisors (reports, the contract, the day's configuration)."""
    return role_of(user) is Role.SUPERVISOR


def is_city_wide(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """True for city-wide supervisors (全庁): they see every office, not only their own."""
    return is_supervisor(user) and CITY_WIDE_GROUP in _group_names(user)
