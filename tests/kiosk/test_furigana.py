"""The ja-easy catalogue's {漢字|かんじ} notation: ruby on the page, the reading in plain text,
and nothing else of a catalogue entry reaching the page as markup; the kiosk's start screen,
the phone ticket pages, the printed ticket and the status page use it."""

import re

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from demo.city_hall import KIOSK_KEY
from kiosk.templatetags.furigana import furigana, furigana_reading
from queueing.models import Counter


def test_notation_becomes_ruby_and_the_rest_is_escaped():
    assert furigana("{番号券|ばんごうけん} を <b>{取|と}</b>って") == (
        "<ruby>番号券<rt>ばんごうけん</rt></ruby> を &lt;b&gt;<ruby>取<rt>と</rt></ruby>"
        "&lt;/b&gt;って")
    assert furigana("{<i>|x}") == "<ruby>&lt;i&gt;<rt>x</rt></ruby>"


def test_text_without_notation_is_only_escaped():
    assert furigana("Take a ticket & go") == "Take a ticket &amp; go"
    assert furigana("{not a pair}") == "{not a pair}"


def test_reading_keeps_the_reading_alone():
    assert furigana_reading("{番号券|ばんごうけん} を {取|と}って ください") == (
        "ばんごうけん を とって ください")


# --- on the pages -------------------------------------------------------------------------

NOTATION_LEFT = re.compile(r"\{[^{}|]+\|[^{}|]+\}")


def _visible(html: str) -> str:
    """The page without its scripts and JSON blocks (their strings are the scripts' own)."""
    return re.sub(r"<script.*?</script>", " ", html, flags=re.S)


@pytest.mark.django_db
def test_ticket_page_shows_kanji_with_furigana_in_easy_japanese(client, issue):
    ticket = issue(language="ja-easy")
    html = client.get(f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=ja-easy").content.decode()
    assert "あなた の <ruby>番号<rt>ばんごう</rt></ruby>" in html
    assert "<ruby>画面<rt>がめん</rt></ruby>" in html
    assert "<title>あなた の ばんごうけん" in html  # the title: the reading alone
    assert not NOTATION_LEFT.search(_visible(html))


@pytest.mark.django_db
def test_status_page_shows_kanji_with_furigana_in_easy_japanese(client, issue):
    ticket = issue(language="ja-easy")
    html = client.get(f"/t/{ticket.token}/").content.decode()
    assert "あなた の {前|まえ}" not in html
    assert "あなた の <ruby>前<rt>まえ</rt></ruby> に いる <ruby>人<rt>ひと</rt></ruby>" in html
    assert "<ruby>音<rt>おと</rt></ruby> と ぶるぶる" in html
    assert not NOTATION_LEFT.search(_visible(html))
    missing = client.get("/t/no-such-token/?lang=ja-easy").content.decode()
    assert "<ruby>番号券<rt>ばんごうけん</rt></ruby> が <ruby>見<rt>み</rt></ruby>つかりません" \
        in missing


@pytest.mark.django_db
def test_other_languages_show_no_ruby(client, issue):
    ticket = issue(language="ja")
    for url in (f"/t/{ticket.token}/", f"/kiosk/{KIOSK_KEY}/ticket/{ticket.token}/?lang=ja"):
        assert "<ruby>" not in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_near_turn_email_in_easy_japanese_has_readings_not_notation(issue, office):
    ticket = issue(language="ja-easy")
    with translation.override("ja-easy"):
        body = render_to_string("kiosk/notice_body.txt", {
            "ticket": ticket, "kind": "near", "ahead": 2, "office": office,
            "counter": Counter.objects.get(office=office, number=1).number,
            "status_link": ""})
    assert "あなた の まえ に いる ひと: 2" in body
    assert "{" not in body and "<ruby>" not in body
