"""The lobby display in a real lobby: a 1920x1080 screen of an office with 20 services.

A real server process and Debian's Chromium. The office (20 services, one counter,
a display in Japanese and English) is made with manage.py shell on the server's
database; calls are made the same way, so they reach the screen through the
server's channel layer (Redis) as a console's would.
"""

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM_ARGS, wait_until
from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

TIMEOUT = 10_000
SCREEN = {"width": 1920, "height": 1080}
BIG_DISPLAY = "/display/big-office-display/"
# docs/kiosk.md: how an unattended lobby screen's browser is started, sound allowed.
UNATTENDED = "--autoplay-policy=no-user-gesture-required"

BIG_OFFICE = """
import json
from django.contrib.auth.models import User
from queueing import services
from queueing.models import (Counter, CounterService, Device, Kind, Office, OfficeStaff, Service,
                             Step)
office = Office.objects.create(code="big", name="みどり市役所 北支所")
# The staff member who calls here belongs to this office too (who works where).
OfficeStaff.objects.create(user=User.objects.get(username="municipal"), office=office)
made = []
for i in range(20):
    service = Service.objects.create(
        office=office, code=f"s{i:02d}", prefix="AB"[i % 2] + "CDEFGHIJKL"[i // 2],
        name=f"各種証明書の交付と届出の受付 {i + 1:02d}",
        names={"en": f"Certificates and notifications, desk {i + 1:02d}"}, sort_order=i)
    Step.objects.create(service=service, order=1, name="受付", kind=Kind.OUTSOURCED)
    made.append(service)
counter = Counter.objects.create(office=office, number=12, label="12番窓口", kind=Kind.OUTSOURCED)
CounterService.objects.create(counter=counter, service=made[0], rank=0)
spare = Counter.objects.create(office=office, number=13, label="13番窓口", kind=Kind.OUTSOURCED)
CounterService.objects.create(counter=spare, service=made[0], rank=0)
Device.objects.create(office=office, type=Device.Type.DISPLAY, key="big-office-display",
                      name="北支所 ロビー", languages=["ja", "en"])
for _ in range(3):
    services.ticket_issue(service=made[0])
called = services.ticket_call_next(counter=counter, by=User.objects.get(username="municipal"))
print(json.dumps({"services": [s.id for s in made], "called": called.display_number,
                  "first": made[0].id}))
"""

CALL_NEXT = """
import json
from django.contrib.auth.models import User
from queueing import services
from queueing.models import Counter
counter = Counter.objects.get(office__code="big", number=13)
called = services.ticket_call_next(counter=counter, by=User.objects.get(username="municipal"))
print(json.dumps({"called": called.display_number}))
"""

RECALL = """
from django.contrib.auth.models import User
from queueing import services
from queueing.models import Counter, Ticket
counter = Counter.objects.get(office__code="big", number=12)
ticket = Ticket.objects.get(counter=counter, status__in=Ticket.AT_COUNTER)
services.ticket_recall(ticket=ticket, counter=counter, by=User.objects.get(username="municipal"))
"""

# Every page of the waiting table, turned in one synchronous script (the page's own
# rotation timer cannot run in between): per page, the services shown and whether each
# row's box lies inside both the table's frame (which clips) and the window.
PAGES = """() => {
  const d = window.madoguchiDisplay;
  const frame = document.getElementById("queues-frame").getBoundingClientRect();
  const pages = [];
  for (let n = 0; n < d.pager.pages.length; n++) {
    const rows = Array.from(document.querySelectorAll("#queues tr")).filter(r => !r.hidden);
    pages.push(rows.map(r => {
      const b = r.getBoundingClientRect();
      const inFrame = b.top >= frame.top - 0.5 && b.bottom <= frame.bottom + 0.5;
      const inWindow = b.top >= 0 && b.bottom <= innerHeight && b.left >= 0
        && b.right <= innerWidth;
      return {service: Number(r.dataset.service), top: b.top, bottom: b.bottom,
              inside: b.height > 0 && inFrame && inWindow};
    }));
    d.turnPage();
  }
  return pages;
}"""

SIZES = """sel => Array.from(document.querySelectorAll(sel)).map(li => {
  const size = e => parseFloat(getComputedStyle(e).fontSize);
  const n = li.querySelector(".number"), c = li.querySelector(".counter");
  return {number: size(n), counter: size(c), numberHeight: n.getBoundingClientRect().height,
          counterHeight: c.getBoundingClientRect().height, text: li.textContent};
})"""


@pytest.fixture(scope="module")
def big_office(live_server):
    """An office with 20 services, a counter, a display, and one ticket called."""
    made = live_server.manage("shell", "-c", BIG_OFFICE, check=False)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout.strip().splitlines()[-1])


def open_display(new_context, live_server):
    """The big office's display at 1920x1080, its first snapshot drawn."""
    page = new_context(viewport=SCREEN, locale="ja-JP").new_page()
    page.goto(live_server.url + BIG_DISPLAY)
    wait_until(page, "window.madoguchiDisplay && madoguchiDisplay.state.version !== null",
               timeout=TIMEOUT)
    return page


def test_display_of_20_services_shows_every_row_fully_on_its_pages(live_server, big_office,
                                                                   new_context, screenshot):
    """Paged, every row inside the window and the table's frame, each service on one page."""
    page = open_display(new_context, live_server)
    expect(page.locator("#queues tr")).to_have_count(20)
    pages = page.evaluate(PAGES)
    screenshot(page, "display_20_services", full_page=False)

    assert len(pages) >= 2, "20 services of two lines each were expected not to fit one page"
    seen = [row["service"] for rows in pages for row in rows]
    assert sorted(seen) == sorted(big_office["services"]), "each service on exactly one page"
    cut = [(n, row) for n, rows in enumerate(pages) for row in rows if not row["inside"]]
    assert not cut, f"rows cut off at 1920x1080: {cut}"
    expect(page.locator("#queues-page")).to_have_text(re.compile(rf"^\d / {len(pages)}$"))
    assert_accessible(page, "the lobby display of 20 services, paged")

    # The pages turn by themselves (every 8 s): an unattended screen has no one to turn them.
    before = page.evaluate("() => madoguchiDisplay.pager.page")
    wait_until(page, f"madoguchiDisplay.pager.page !== {before}", timeout=12_000)
    turned = page.evaluate("() => madoguchiDisplay.pager.page")
    expect(page.locator("#queues-page")).to_have_text(f"{turned + 1} / {len(pages)}")

    # Another window (a portrait screen) is paged again, each row still whole.
    page.set_viewport_size({"width": 1080, "height": 1920})
    portrait = page.evaluate(PAGES)
    screenshot(page, "display_20_services_portrait", full_page=False)
    assert sorted(row["service"] for rows in portrait for row in rows) == sorted(seen)
    assert all(row["inside"] for rows in portrait for row in rows), portrait


def test_counter_is_drawn_as_large_as_the_number(live_server, big_office, new_context):
    """In the calls and in the recent calls, the counter label is no smaller than the number."""
    page = open_display(new_context, live_server)
    expect(page.locator("#recent li")).to_contain_text(big_office["called"], timeout=TIMEOUT)
    expect(page.locator("#calling li")).to_contain_text(big_office["called"], timeout=TIMEOUT)
    for where in ("#recent li", "#calling li"):
        for row in page.evaluate(SIZES, where):
            assert row["counter"] >= row["number"], f"{where}: counter smaller in {row}"
            assert row["counterHeight"] >= row["numberHeight"] - 1, f"{where}: {row}"
    # And the whole call fits its card: nothing of the counter runs out of it.
    fits = page.evaluate("""() => Array.from(document.querySelectorAll('#calling li')).every(li =>
        li.scrollWidth <= li.clientWidth && li.getBoundingClientRect().right <= innerWidth)""")
    assert fits, "a call's number and counter do not fit its card"


def test_waiting_count_changes_in_the_frame_that_calls(live_server, big_office, new_context,
                                                       redis_url):
    """The frame announcing a call already has the waiting count without the called ticket."""
    page = open_display(new_context, live_server)
    first = big_office["first"]
    page.evaluate("""first => {
      window.seenWithCall = [];
      const d = madoguchiDisplay;
      const count = () => d.state.services.find(s => s.service_id === first).waiting;
      window.waitingBefore = count();
      const push = d.announceQueue.push;
      d.announceQueue.push = function (item) {
        window.seenWithCall.push([item.number, count()]);
        return push.call(this, item);
      };
    }""", first)
    before = page.evaluate("() => window.waitingBefore")
    called = live_server.manage("shell", "-c", CALL_NEXT, check=False)
    assert called.returncode == 0, called.stderr
    number = json.loads(called.stdout.strip().splitlines()[-1])["called"]
    wait_until(page, "window.seenWithCall.length > 0", timeout=TIMEOUT)
    assert page.evaluate("() => window.seenWithCall") == [[number, before - 1]]
    row = page.locator(f"#queues tr[data-service='{first}'] td.n").first
    expect(row).to_have_text(f"{before - 1}人")
    # Announced in both of the display's languages, in the catalogues' words (A002 is read A2).
    said = re.sub(r"^([A-Z]+)0*(\d)", r"\1\2", number)
    expect(page.locator("#announce")).to_have_text(
        f"受付番号 {said}番の方、13番窓口へお越しください"
        f" / Number {said}, please come to counter 13")


@pytest.fixture(scope="module")
def unattended_browser(playwright_instance, chromium_path):
    """Chromium started as docs/kiosk.md says a lobby screen's browser is (headless here)."""
    b = playwright_instance.chromium.launch(executable_path=chromium_path, headless=True,
                                            args=[*CHROMIUM_ARGS, UNATTENDED])
    yield b
    b.close()


def test_unattended_screen_sounds_without_a_click(live_server, big_office, unattended_browser):
    """With the autoplay flag, the display's audio runs at once and no button is offered."""
    context = unattended_browser.new_context(viewport=SCREEN)
    try:
        page = context.new_page()
        page.goto(live_server.url + BIG_DISPLAY)
        wait_until(page, "madoguchiDisplay.soundState() === 'running'", timeout=TIMEOUT)
        expect(page.locator("#sound")).to_be_hidden()
    finally:
        context.close()


def test_normal_browser_keeps_the_enable_sound_button(live_server, big_office, new_context):
    """Without the flag the audio waits for a person: the button shows, and one click starts it."""
    page = open_display(new_context, live_server)
    button = page.locator("#sound")
    expect(button).to_be_visible()
    expect(button).to_contain_text("音声を有効にする")
    assert page.evaluate("madoguchiDisplay.soundState()") == "suspended"
    button.click()
    wait_until(page, "madoguchiDisplay.soundState() === 'running'", timeout=TIMEOUT)
    expect(button).to_be_hidden(timeout=TIMEOUT)


def test_a_recall_is_announced_again_without_a_second_recent_line(live_server, big_office,
                                                                  new_context, redis_url):
    """Counter 12 recalls its ticket: spoken again, still one line in the recent calls, on top."""
    page = open_display(new_context, live_server)
    number = big_office["called"]
    recalled = live_server.manage("shell", "-c", RECALL, check=False)
    assert recalled.returncode == 0, recalled.stderr
    expect(page.locator("#announce")).to_contain_text("12番窓口", timeout=TIMEOUT)
    expect(page.locator("#recent li .number").first).to_have_text(number, timeout=TIMEOUT)
    expect(page.locator("#recent li .number", has_text=number)).to_have_count(1)


EIGHT_CALLS = """
from django.contrib.auth.models import User
from queueing import services
from queueing.models import Counter, CounterService, Kind, Service, Ticket
service = Service.objects.get(office__code="big", code="s01")
clerk = User.objects.get(username="municipal")
for number in range(1, 9):
    counter = Counter.objects.create(office=service.office, number=number,
                                     label=f"{number}番窓口", kind=Kind.OUTSOURCED)
    CounterService.objects.create(counter=counter, service=service, rank=0)
    services.ticket_issue(service=service)
    services.ticket_call_next(counter=counter, by=clerk)
print(Ticket.objects.filter(office=service.office, status__in=Ticket.AT_COUNTER).count())
"""


def test_every_counter_calling_at_once_fits_the_screen(live_server, big_office, new_context,
                                                       screenshot):
    """Eight more counters call together: every call is whole on screen, counter as large."""
    made = live_server.manage("shell", "-c", EIGHT_CALLS, check=False)
    assert made.returncode == 0, made.stderr
    at_counters = int(made.stdout.split()[-1])  # 8, and the ones other tests called
    page = open_display(new_context, live_server)
    expect(page.locator("#calling li")).to_have_count(at_counters, timeout=TIMEOUT)
    screenshot(page, "display_ten_calls", full_page=False)
    boxes = page.evaluate("""() => {
      const list = document.getElementById("calling").getBoundingClientRect();
      return Array.from(document.querySelectorAll("#calling li")).map(li => {
        const b = li.getBoundingClientRect();
        return {text: li.textContent, hidden: li.hidden, fits: li.scrollWidth <= li.clientWidth,
                inside: b.height > 0 && b.top >= list.top && b.bottom <= list.bottom + 0.5
                  && b.bottom <= innerHeight && b.right <= innerWidth};
      });
    }""")
    assert all(b["inside"] and b["fits"] and not b["hidden"] for b in boxes), boxes
    for row in page.evaluate(SIZES, "#calling li"):
        assert row["counter"] >= row["number"], row
