"""The public congestion page: what it shows, in which language, framed, and the errors a
resident can cause (unknown office, bad or far dates) as clear pages, never a 500."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from queueing import services
from queueing.models import Counter, Service, SpecialDay

from .conftest import TODAY

pytestmark = pytest.mark.django_db
PAGE = "/congestion/demo/"


def _text(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _issue(office, code: str):
    return services.ticket_issue(service=Service.objects.get(office=office, code=code))


def test_the_page_shows_now_today_the_calendar_and_best_times(office, history, contractor):
    services.counter_set_status(counter=Counter.objects.get(office=office, number=1),
                                by=contractor, status="open")
    for _ in range(3):
        _issue(office, "juminhyo")
    response = Client().get(PAGE + "?lang=en")
    assert response.status_code == 200
    html = response.content.decode()
    row = re.search(r'<tr data-procedure="juminhyo">(.*?)</tr>', html, re.S).group(1)
    assert "Certificate of residence" in row
    assert re.search(r'class="num waiting">3<', row)
    assert re.search(r"about \d+ min", row)  # counter 1 is open: the estimator knows
    assert "not known" in re.search(r'<tr data-procedure="fukushi">(.*?)</tr>', html,
                                    re.S).group(1)
    # Today by hour: the forecast for every hour, the count for the hours begun (to 10:00).
    hours = dict(re.findall(r'<tr data-hour="(\d+)">(.*?)</tr>', html, re.S))
    assert set(hours) >= {str(h) for h in range(9, 17)}
    assert 'class="value actual-value">3<' in hours["10"]
    assert "actual-value" not in hours["11"]
    # The calendar: this week's Monday to four weeks ahead (5 rows), weekends closed.
    days = re.findall(r'data-date="(\d{4}-\d\d-\d\d)" data-level="(\w+)"', html)
    assert len(days) == 35 and days[0][0] == "2026-06-08" and days[-1][0] == "2026-07-12"
    assert dict(days)["2026-06-13"] == "closed" and dict(days)["2026-06-08"] == "past"
    assert {level for _, level in days} <= {"past", "quiet", "normal", "busy", "very_busy",
                                           "closed"}
    best = re.findall(r'<li data-date="([\d-]+)" data-hour="(\d+)">', html)
    assert len(best) == 5
    assert all((d, int(h)) > (TODAY.isoformat(), 10) for d, h in best)
    assert "<script" not in html  # everything is rendered on the server


def test_the_page_shows_no_ticket_numbers_and_no_names(office, history, contractor):
    counter = Counter.objects.get(office=office, number=1)
    services.counter_set_status(counter=counter, by=contractor, status="open")
    tickets = [_issue(office, "juminhyo") for _ in range(3)]
    services.ticket_call_next(counter=counter, by=contractor)
    html = Client().get(PAGE + "?lang=ja").content.decode()
    for t in tickets:
        assert t.display_number not in html and t.token not in html
    for user in User.objects.all():
        for name in (user.username, user.first_name, user.get_full_name()):
            assert not name or name not in html


def test_the_page_may_be_framed_by_a_city_website(office, clock):
    response = Client().get(PAGE)
    assert "X-Frame-Options" not in response  # other pages say DENY
    assert Client().get("/staff/login/")["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("lang, html_lang, title", [
    ("ja", "ja", "みどり市役所 本庁舎 の混雑状況"),
    ("ja-easy", "ja", "みどり市役所 本庁舎 は こんで いますか"),
    ("en", "en", "How busy is みどり市役所 本庁舎?"),
    ("zh-hans", "zh-hans", "みどり市役所 本庁舎 的拥挤情况"),
    ("ko", "ko", "みどり市役所 本庁舎 혼잡 상황"),
    ("vi", "vi", "みどり市役所 本庁舎 có đông không?"),
    ("pt-br", "pt-br", "Movimento em みどり市役所 本庁舎"),
    ("es", "es", "¿Cuánta gente hay en みどり市役所 本庁舎?"),
])
def test_the_page_speaks_the_eight_languages(office, history, lang, html_lang, title):
    response = Client().get(f"{PAGE}?lang={lang}")
    html = response.content.decode()
    assert f'<html lang="{html_lang}">' in html
    assert f"<h1>{title}</h1>" in html
    assert response["Content-Language"] == html_lang


def test_without_a_choice_the_browsers_language_is_used(office, clock):
    english = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.8").get(PAGE)
    assert '<html lang="en">' in english.content.decode()
    unknown = Client(HTTP_ACCEPT_LANGUAGE="de-DE").get(PAGE + "?lang=xx")
    assert '<html lang="ja">' in unknown.content.decode()


def test_a_day_of_the_calendar_shows_its_hours(office, history):
    day = TODAY + datetime.timedelta(days=5)  # Monday 6/15
    response = Client().get(f"{PAGE}?lang=en&date={day.isoformat()}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "June 15 (Mon) by hour" in _text(response)
    assert "actual-value" not in html  # no hour of that day has begun
    assert 'aria-current="date"' in html
    # The language links keep the day.
    assert f'href="?lang=ja&amp;date={day.isoformat()}"' in html


def test_a_closed_day_says_so(office, history):
    response = Client().get(f"{PAGE}?lang=en&date=2026-06-13")  # a Saturday
    assert "The office is closed on this day." in _text(response)


def test_a_national_holiday_is_closed_in_the_calendar(office, history, clock):
    clock("09:00", datetime.date(2026, 7, 13))  # the week of Marine Day (Monday 7/20)
    html = Client().get(PAGE + "?lang=en").content.decode()
    assert 'data-date="2026-07-20" data-level="closed"' in html


def test_a_special_day_is_busier_and_says_why(office, history):
    SpecialDay.objects.create(office=office, date=datetime.date(2026, 6, 17), kind="other",
                              label="児童手当 現況届 締切", factor=2)
    response = Client().get(PAGE + "?lang=en")
    html = response.content.decode()
    assert re.search(r'data-date="2026-06-17" data-level="very_busy"', html)
    why = re.search(r'<li data-date="2026-06-17">(.*?)</li>', html, re.S).group(1)
    assert "Special day (児童手当 現況届 締切) ×2.0" in re.sub(r"<[^>]+>", "", why)


def test_an_office_without_history_still_shows_the_live_figures(office, clock):
    response = Client().get(PAGE + "?lang=en")
    assert response.status_code == 200
    text = _text(response)
    assert "Certificate of residence" in text
    assert "There is not enough history for a forecast yet." in text


@pytest.mark.parametrize("lang, words", [("en", "Office not found"),
                                         ("ja", "庁舎が見つかりません")])
def test_an_unknown_office_is_a_page_in_the_chosen_language(office, lang, words):
    response = Client().get(f"/congestion/no-such-office/?lang={lang}")
    assert response.status_code == 404
    assert words in _text(response)


@pytest.mark.parametrize("value, words", [
    ("2026-13-01", "Please write the date like 2026-06-10."),
    ("tomorrow", "Please write the date like 2026-06-10."),
    ("99999-01-01", "Please write the date like 2026-06-10."),
    ("9999-12-31", "Please choose a day between May 13, 2026 and July 12, 2026."),
    ("0001-01-01", "Please choose a day between May 13, 2026 and July 12, 2026."),
    ("2026-07-13", "Please choose a day between"),
])
def test_a_bad_or_far_date_is_a_clear_400(office, clock, value, words):
    response = Client().get(f"{PAGE}?lang=en&date={value}")
    assert response.status_code == 400
    assert words in _text(response)
    assert "Back to today" in _text(response)


def test_only_get_is_answered(office):
    assert Client().post(PAGE).status_code == 405
