"""The kiosk's start screen: languages, services with waits, hours, pause, bad keys."""

import datetime
import re

import pytest

from demo.city_hall import DISPLAY_KEY, KIOSK_KEY
from queueing.models import Device, Service

pytestmark = pytest.mark.django_db
START = f"/kiosk/{KIOSK_KEY}/"


def test_start_page_lists_services_with_waiting_count_and_estimate(client, issue, office):
    issue()
    issue()
    html = client.get(START + "?lang=en").content.decode()
    assert "Certificate of residence" in html
    assert "2 people waiting" in html
    assert "wait time not known" in html  # no counter is open yet
    from queueing.models import Counter

    Counter.objects.filter(office=office, number=1).update(status="open", staffed=True)
    html = client.get(START + "?lang=en").content.decode()
    assert re.search(r"about \d+ min", html)
    assert "I need assistance" in html
    assert "Do you have a booking?" in html


def test_every_language_is_offered_on_the_start_page(client, office):
    html = client.get(START).content.decode()
    for label in ["日本語", "やさしい日本語", "English", "简体中文", "한국어", "Tiếng Việt",
                  "Português", "Español"]:
        assert label in html


def test_start_page_defaults_to_japanese_and_ignores_unknown_language(client, office):
    response = client.get(START + "?lang=xx")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "住民票の写し" in html


def test_service_names_come_from_the_database_per_language(client, office):
    assert "주민표 사본" in client.get(START + "?lang=ko").content.decode()
    assert "じゅうみんひょう" in client.get(START + "?lang=ja-easy").content.decode()


def test_service_after_its_hours_is_disabled_with_the_reason(client, office):
    Service.objects.filter(office=office, code="mynumber").update(
        available_until=datetime.time(0, 0))
    html = client.get(START + "?lang=en").content.decode()
    button = re.search(r'<button[^>]*data-service="\d+"[^>]*>\s*<span class="prefix"[^>]*>M</span>'
                       r'.*?</button>', html, re.S).group(0)
    assert "disabled" in button
    assert "Closed for today (until 00:00)" in button


def test_service_before_its_hours_says_when_it_opens(client, office):
    Service.objects.filter(office=office, code="mynumber").update(
        available_from=datetime.time(23, 59, 59))
    html = client.get(START + "?lang=en").content.decode()
    assert "Opens at 23:59" in html


def test_unknown_kiosk_key_gets_403_page(client, office):
    response = client.get("/kiosk/not-a-key/?lang=en")
    assert response.status_code == 403
    assert "This kiosk is not registered" in response.content.decode()


def test_revoked_kiosk_key_gets_403_page(client, office):
    Device.objects.filter(key=KIOSK_KEY).update(revoked=True)
    assert client.get(START).status_code == 403


def test_display_key_is_not_a_kiosk_key(client, office):
    assert client.get(f"/kiosk/{DISPLAY_KEY}/").status_code == 403


def test_paused_kiosk_shows_the_message_and_disables_every_button(client, kiosk):
    kiosk.paused, kiosk.pause_message = True, "プリンター点検中です"
    kiosk.save()
    html = client.get(START + "?lang=en").content.decode()
    assert "Ticket issuing is paused." in html
    assert "プリンター点検中です" in html
    services = re.findall(r'<button type="button" class="service"[^>]*>', html)
    assert services and all("disabled" in b for b in services)


def test_easy_japanese_has_its_own_catalog_not_plain_japanese(client, office):
    easy = client.get(START + "?lang=ja-easy").content.decode()
    plain = client.get(START + "?lang=ja").content.decode()
    assert "ばんごうけん を とって ください" in easy  # the title: the reading alone
    assert "整理券をお取りください" in plain
    assert '<html lang="ja">' in easy  # やさしい日本語 is Japanese to screen readers


@pytest.mark.parametrize("lang, text", [
    ("ja", "ただいま整理券を発行できません。窓口でお声がけください。"),
    ("vi", "Hiện không thể lấy số. Vui lòng hỏi tại quầy."),
])
def test_start_page_carries_its_own_offline_notice_and_the_health_probe(client, office, lang,
                                                                        text):
    html = client.get(START + f"?lang={lang}").content.decode()
    notice = re.search(r'<p id="offline"[^>]*>(.*?)</p>', html).group(0)
    assert 'data-health-url="/api/health/"' in notice and " hidden>" in notice
    assert text in notice
    assert html.index("kiosk/offline.js") < html.index("kiosk/kiosk.js")


def test_easy_japanese_start_page_writes_kanji_with_furigana(client, office):
    html = client.get(START + "?lang=ja-easy").content.decode()
    assert re.search(r"<h1>(.*?)</h1>", html).group(1) == (
        "<ruby>番号券<rt>ばんごうけん</rt></ruby> を <ruby>取<rt>と</rt></ruby>って ください")
    label = re.search(r'<label for="reference">(.*?)</label>', html).group(1)
    assert "<ruby>予約<rt>よやく</rt></ruby>" in label
    assert html.count("<rt>") >= 15
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title.startswith("ばんごうけん を とって ください – ")
    assert not re.search(r"\{[^{}|]+\|", html)  # no notation left over anywhere
    assert "<ruby>" not in client.get(START + "?lang=ja").content.decode()


# --- the office calendar on the start screen -------------------------------------------


def service_info(html: str, prefix: str) -> str:
    """The text under the first service button with that prefix, and whether it is disabled."""
    button = re.search(r'<button[^>]*data-service="\d+"[^>]*>\s*<span class="prefix"[^>]*>'
                       + prefix + r'</span>.*?</button>', html, re.S).group(0)
    text = re.sub(r"\s+", " ", re.search(r'class="info"[^>]*>(.*?)</span>', button, re.S)
                  .group(1))
    return ("disabled " if "disabled" in button.split(">")[0] else "") + re.sub(
        r"<[^>]+>", "", text).strip()


@pytest.fixture
def weekday_hours(office):
    """The demo office open Monday to Friday 8:30-17:15."""
    from queueing.models import OfficeHours

    for weekday in range(5):
        OfficeHours.objects.create(office=office, weekday=weekday, opens=datetime.time(8, 30),
                                   closes=datetime.time(17, 15))


@pytest.mark.parametrize("lang, expected", [
    ("en", "disabled Closed today (national holiday) · Opens next: July 21 08:30"),
    ("ja", "disabled 本日は祝日のため休みです · 次の受付: 7月21日 08:30"),
])
def test_a_holiday_says_closed_today_and_when_it_opens_next(client, weekday_hours, clock,
                                                           lang, expected):
    clock.at("10:00", datetime.date(2026, 7, 20))  # 海の日
    assert service_info(client.get(START + f"?lang={lang}").content.decode(), "B") == expected


@pytest.mark.parametrize("lang, expected", [
    ("en", "disabled Closed today (New Year holidays) · Opens next: January 4 08:30"),
    ("ja", "disabled 年末年始のため休みです · 次の受付: 1月4日 08:30"),
])
def test_the_year_end_says_so(client, weekday_hours, clock, lang, expected):
    clock.at("10:00", datetime.date(2026, 12, 30))
    assert service_info(client.get(START + f"?lang={lang}").content.decode(), "B") == expected


@pytest.mark.parametrize("lang, expected", [
    ("en", "disabled Reception has ended for today · Opens next: June 11 08:30"),
    ("ja", "disabled 本日の受付は終了しました · 次の受付: 6月11日 08:30"),
])
def test_reception_ended_before_closing_says_so(client, weekday_hours, office, clock,
                                                lang, expected):
    Service.objects.filter(office=office, code="koseki").update(reception_end_minutes=30)
    clock.at("16:50")  # the office closes at 17:15; 戸籍 stops taking tickets at 16:45
    html = client.get(START + f"?lang={lang}").content.decode()
    assert service_info(html, "B") == expected
    assert not service_info(html, "C").startswith("disabled")  # 税証明 runs to 17:15


@pytest.mark.parametrize("lang, expected", [("en", "disabled Opens at 08:30"),
                                            ("ja", "disabled 08:30から受付")])
def test_before_the_office_opens_it_says_when(client, weekday_hours, clock, lang, expected):
    clock.at("08:00")
    assert service_info(client.get(START + f"?lang={lang}").content.decode(), "B") == expected


@pytest.mark.parametrize("lang, expected", [
    ("en", "disabled No counter serves this service today"),
    ("ja", "disabled 本日はこの手続きの窓口がありません")])
def test_a_service_no_counter_serves_is_shown_not_available(client, office, lang, expected):
    from queueing.models import CounterService

    CounterService.objects.filter(service__office=office, service__code="koseki").delete()
    assert service_info(client.get(START + f"?lang={lang}").content.decode(), "B") == expected


@pytest.mark.parametrize("lang, expected", [
    ("en", "disabled Today's tickets are all given out · Opens next: June 11 00:00"),
    ("ja", "disabled 本日の整理券はすべて配布しました · 次の受付: 6月11日 00:00")])
def test_a_service_at_its_daily_cap_is_shown_given_out(client, issue, office, clock,
                                                       lang, expected):
    clock.at("10:00")
    Service.objects.filter(office=office, code="koseki").update(daily_ticket_cap=1)
    issue(service=Service.objects.get(office=office, code="koseki"))
    html = client.get(START + f"?lang={lang}").content.decode()
    assert service_info(html, "B").replace("&#x27;", "'") == expected
