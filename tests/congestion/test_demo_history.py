"""The demo history: past visits the forecast can fit, written once."""

import pytest

from congestion.selectors import office_model
from demo import congestion_history as demo
from queueing.models import Ticket
from staff import reports

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def test_the_demo_history_gives_the_office_a_forecast(office, history):
    assert history > 500
    assert not Ticket.objects.filter(office=office, business_day__gte=TODAY).exists()
    model = office_model(office=office)
    assert model.days_fitted == 15  # three weeks of weekdays, no holiday in them
    assert model.is_open(TODAY) and not model.is_open(TODAY.replace(day=13))  # a Saturday
    figures = reports.history(office_id=office.id, day_from=model.fitted_from,
                              day_to=model.fitted_to)
    assert figures["total"]["issued"] == history
    assert figures["total"]["waits"] > 0 and figures["total"]["no_shows"] > 0


def test_the_demo_history_is_written_only_once(office, history):
    with pytest.raises(demo.HistoryExists):
        demo.history_demo_load(office=office, weeks=1)
    again = demo.history_demo_load(office=office, weeks=1, per_day=20, replace=True)
    assert Ticket.objects.filter(office=office).count() == again
