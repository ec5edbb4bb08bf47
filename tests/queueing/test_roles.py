"""Who counts as what (queueing/roles.py): the one home of the role checks."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User

from queueing.roles import Role, has_staff_role, is_city_staff, is_supervisor, role_of

pytestmark = pytest.mark.django_db


def user_in(*roles: Role) -> User:
    user = User.objects.create_user("u-" + "-".join(roles), password="x" * 12)
    user.groups.set([Group.objects.get_or_create(name=r.value)[0] for r in roles])
    return user


def test_each_role_is_what_it_says():
    contractor, municipal, supervisor = (user_in(Role.CONTRACTOR), user_in(Role.MUNICIPAL),
                                         user_in(Role.SUPERVISOR))
    assert [has_staff_role(u) for u in (contractor, municipal, supervisor)] == [True] * 3
    assert [is_city_staff(u) for u in (contractor, municipal, supervisor)] == [False, True, True]
    assert [is_supervisor(u) for u in (contractor, municipal, supervisor)] == [False, False, True]


def test_a_contractor_put_in_another_group_too_stays_a_contractor():
    slip = user_in(Role.CONTRACTOR, Role.SUPERVISOR)  # a configuration slip
    assert role_of(slip) is Role.CONTRACTOR
    assert not is_city_staff(slip) and not is_supervisor(slip)


def test_nobody_without_a_role_counts_as_staff():
    plain = User.objects.create_user("visitor", password="x" * 12)
    for user in (plain, AnonymousUser(), None):
        assert role_of(user) is None and not has_staff_role(user) and not is_city_staff(user)
