"""A resident's satisfaction rating of a completed visit (``services.ticket_rate``): once per
ticket, on completed tickets only, with the completing counter's kind; the comment never
holds an Individual Number; comments are erased after their period, scores stay."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from queueing import retention, services
from queueing.errors import Conflict, QueueError
from queueing.models import Counter, Kind, Service, TicketRating
from queueing.privacy import IndividualNumberRefused

pytestmark = pytest.mark.django_db


def _served(office, user, *, counter_number: int, code: str = "juminhyo"):
    """A ticket issued, called and completed at the counter."""
    ticket = services.ticket_issue(service=Service.objects.get(office=office, code=code))
    counter = Counter.objects.get(office=office, number=counter_number)
    services.ticket_call_number(counter=counter, by=user, number=ticket.display_number)
    return services.ticket_complete(ticket=ticket, counter=counter, by=user)


def test_a_completed_visit_is_rated_with_the_completing_counters_kind(office, contractor):
    ticket = _served(office, contractor, counter_number=1)
    rating = services.ticket_rate(ticket=ticket, score=4, comment=" 丁寧でした ")
    assert (rating.score, rating.comment, rating.counter_kind) == (4, "丁寧でした",
                                                                   Kind.OUTSOURCED)


def test_a_visit_completed_by_city_staff_counts_for_staff_counters(office, municipal):
    ticket = _served(office, municipal, counter_number=7, code="fukushi")  # 職員 only
    assert services.ticket_rate(ticket=ticket, score=5).counter_kind == Kind.STAFF_ONLY


def test_a_ticket_is_rated_once(office, contractor):
    ticket = _served(office, contractor, counter_number=1)
    services.ticket_rate(ticket=ticket, score=5)
    with pytest.raises(Conflict) as refused:
        services.ticket_rate(ticket=ticket, score=1)
    assert refused.value.code == "already_rated"
    assert list(TicketRating.objects.values_list("score", flat=True)) == [5]


def test_the_database_keeps_one_rating_per_ticket(office, contractor):
    ticket = _served(office, contractor, counter_number=1)
    services.ticket_rate(ticket=ticket, score=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketRating.objects.create(ticket=ticket, score=2, counter_kind=Kind.OUTSOURCED,
                                    rated_at=ticket.closed_at)


def test_the_database_refuses_a_score_outside_1_to_5(office, contractor):
    ticket = _served(office, contractor, counter_number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TicketRating.objects.create(ticket=ticket, score=6, counter_kind=Kind.OUTSOURCED,
                                    rated_at=ticket.closed_at)


def test_an_open_ticket_cannot_be_rated(office):
    ticket = services.ticket_issue(service=Service.objects.get(office=office, code="juminhyo"))
    with pytest.raises(Conflict) as refused:
        services.ticket_rate(ticket=ticket, score=5)
    assert refused.value.code == "not_completed"
    assert not TicketRating.objects.exists()


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_score_outside_the_scale_is_refused(office, contractor, score):
    ticket = _served(office, contractor, counter_number=1)
    with pytest.raises(QueueError) as refused:
        services.ticket_rate(ticket=ticket, score=score)
    assert refused.value.code == "invalid_score"


def test_a_comment_with_an_individual_number_is_refused_and_not_stored(office, contractor):
    ticket = _served(office, contractor, counter_number=1)
    with pytest.raises(IndividualNumberRefused) as refused:
        services.ticket_rate(ticket=ticket, score=2, comment="番号は１２３４ ５６７８ ９０１２です")
    assert "1234" not in refused.value.detail and "１２３４" not in refused.value.detail
    assert not TicketRating.objects.exists()
    services.ticket_rate(ticket=ticket, score=2, comment="待ち時間が長い")  # may try again


def test_a_comment_over_200_characters_is_refused(office, contractor):
    ticket = _served(office, contractor, counter_number=1)
    with pytest.raises(QueueError) as refused:
        services.ticket_rate(ticket=ticket, score=3, comment="あ" * 201)
    assert refused.value.code == "comment_too_long"


def test_comments_are_erased_after_their_period_and_scores_stay(office, contractor, settings):
    ticket = _served(office, contractor, counter_number=1)
    rating = services.ticket_rate(ticket=ticket, score=4, comment="担当の方が親切でした")
    later = rating.rated_at + datetime.timedelta(days=settings.RATING_COMMENT_RETENTION_DAYS)
    assert retention.personal_data_erase(now=later)["rating_comments"] == 0
    erased = retention.personal_data_erase(now=later + datetime.timedelta(minutes=1))
    assert erased["rating_comments"] == 1
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == (4, "")
