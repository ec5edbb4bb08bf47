"""Kiosk test fixtures: a clean throttle cache per test, helpers to issue tickets."""

import pytest
from django.core.cache import cache

from demo.city_hall import KIOSK_KEY
from queueing import services
from queueing.models import Device, Service


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kiosk(office) -> Device:
    """The demo kiosk device."""
    return Device.objects.get(key=KIOSK_KEY)


@pytest.fixture
def juminhyo(office) -> Service:
    """住民票の写し: one outsourced step, no opening-hours limit."""
    return Service.objects.get(office=office, code="juminhyo")


@pytest.fixture
def issue(kiosk, juminhyo):
    """Issue a ticket at the demo kiosk the way the API does."""

    def make(service=None, language="en", priority=0):
        return services.ticket_issue(service=service or juminhyo, language=language,
                                     priority=priority, device=kiosk)

    return make
