"""Every state change runs in one durable transaction: a service called inside another fails.

Django's ``atomic(durable=True)`` raises when it is nested, so a service that
calls another service by mistake (and would commit, publish and audit in two
halves) fails loudly in the tests instead. A change that must be part of
another app's transaction (a booking check-in issues a ticket in the same
transaction as the check-in) says so: ``service.within_transaction(...)``
runs the same function inside the caller's transaction and refuses to run
outside one.
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import connection, transaction

P = ParamSpec("P")
R = TypeVar("R")


def durable(fn: Callable[P, R]) -> Callable[P, R]:
    """Run the service in its own durable transaction (``fn.within_transaction`` joins one)."""

    @functools.wraps(fn)
    def service(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(durable=True):
            return fn(*args, **kwargs)

    @functools.wraps(fn)
    def within_transaction(*args: P.args, **kwargs: P.kwargs) -> R:
        if not connection.in_atomic_block:
            raise RuntimeError(f"{fn.__name__}.within_transaction needs an open transaction")
        return fn(*args, **kwargs)

    service.within_transaction = within_transaction  # type: ignore[attr-defined]
    return service
