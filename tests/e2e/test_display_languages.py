"""The lobby display in every language it is configured for, in a real browser: the small
words beside the Japanese turn through English, Korean and Chinese (labels, the called
counter, the waiting table's names), all from the catalogues; axe stays clean in each."""

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
TIMEOUT = 10_000
DISPLAY = "/display/demo-display-key/"
LANGUAGES = ["ja", "en", "ko", "zh-hans"]

SET_UP = f"""
import json
from django.contrib.auth.models import User
from queueing import services
from queueing.models import Counter, Device, Service
Device.objects.filter(key="demo-display-key").update(languages={LANGUAGES!r})
service = Service.objects.get(office__code="demo", code="juminhyo")
services.ticket_issue(service=service)
services.ticket_issue(service=service)
called = services.ticket_call_next(counter=Counter.objects.get(office__code="demo", number=1),
                                   by=User.objects.get(username="municipal"))
print(json.dumps({{"called": called.display_number}}))
"""

# What each language shows beside the Japanese (from the catalogues, as a reader sees them).
EXPECTED = {
    "en": {"waiting": "People waiting", "counter": "Counter 1",
           "service": "Certificate of residence"},
    "ko": {"waiting": "대기 인원", "counter": "1번 창구", "service": "주민표 사본"},
    "zh-hans": {"waiting": "等候人数", "counter": "1 号窗口", "service": "住民票副本"},
}


def test_the_display_turns_through_every_configured_language(live_server, new_context):
    out = live_server.manage("shell", "-c", SET_UP).stdout
    called = json.loads(out.strip().splitlines()[-1])["called"]
    page = new_context(viewport={"width": 1920, "height": 1080}, locale="ja-JP").new_page()
    page.goto(f"{live_server.url}{DISPLAY}")
    expect(page.locator("#calling li").first).to_contain_text(called, timeout=TIMEOUT)
    shown = []
    for _ in LANGUAGES[1:]:
        second = page.evaluate("window.madoguchiDisplay.second()")
        shown.append(second)
        words = EXPECTED[second]
        expect(page.locator("#queues-title .sub")).to_have_text(words["waiting"])
        expect(page.locator("#queues-title .sub")).to_have_attribute("lang", second)
        expect(page.locator("#calling li .counter small").first).to_have_text(words["counter"])
        expect(page.locator("#queues tr").first.locator(".lang2")).to_have_text(words["service"])
        assert_accessible(page, f"the lobby display with {second} beside the Japanese")
        page.evaluate("window.madoguchiDisplay.turnLanguage()")
    assert shown == ["en", "ko", "zh-hans"]
    assert page.evaluate("window.madoguchiDisplay.second()") == "en"  # and round again
