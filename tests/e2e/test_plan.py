"""The supervisor's staffing plan in a real browser, in Japanese: the week's table shows
the figures ``staff.plan`` computes (counters needed beside last week's open counters),
the page is axe-clean, and its CSV link downloads the plan a contractor staffs from."""

import csv
import datetime
import io
import json

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

# Printed by the server's own code (manage.py shell), so the test compares the page with
# the plan module's figures, not with a copy of its arithmetic.
FIGURES = """
import json
from django.utils import timezone
from queueing import forecast
from queueing.models import Counter, Kind, Office
from staff import plan
office = Office.objects.get(code="demo")
week = plan.monday(timezone.localdate())
while any(forecast.holiday_closed(week + i * plan.DAY) for i in (*range(-7, -2), *range(5))):
    week -= plan.WEEK  # every weekday open, this week and last (e.g. not 11/23's weeks)
f = plan.week_plan(office_id=office.id, week_start=week)
print(json.dumps({
    "week": week.isoformat(),
    "outsourced_counters": Counter.objects.filter(office=office, kind=Kind.OUTSOURCED).count(),
    "rows": {r["start"].strftime("%Y-%m-%dT%H"): {k: [c["planned"], c["open"]]
             for k, c in r["kinds"].items()} for r in f["rows"]},
    "hours_plan_total": f["hours_plan_total"], "cost_plan": f["cost_plan"],
}))
"""


@pytest.fixture(scope="module")
def figures(live_server):
    """Six weeks of demo history (visits and the counters' open/close trail), then the
    figures of this week's plan (or an earlier one's, so that no weekday of it or of its
    last week was a holiday), whose last week lies wholly in that history."""
    result = live_server.manage("congestion_demo", "--weeks", "6")
    assert "past tickets written" in result.stdout, result.stdout + result.stderr
    shell = live_server.manage("shell", "-c", FIGURES)
    return json.loads(shell.stdout.strip().splitlines()[-1])


def test_the_supervisor_plans_a_week(live_server, figures, staff_sign_in, screenshot):
    # A tall window: the screenshot (README) shows the totals, the cost and the first hours.
    _, page = staff_sign_in("supervisor", locale="ja-JP",
                            viewport={"width": 1280, "height": 1500})
    response = page.goto(f"{live_server.url}/supervisor/plan/?week={figures['week']}")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text("配置計画")
    week = datetime.date.fromisoformat(figures["week"])
    expect(page.locator("h1")).to_contain_text(f"{week.year}年{week.month}月{week.day}日")
    rows = page.locator("#plan-hours tbody tr")
    expect(rows).to_have_count(len(figures["rows"]))
    assert figures["rows"], "six weeks of history give the week a forecast"
    # Every hour shows the counters needed and last week's open counters of each kind.
    for hour, kinds in figures["rows"].items():
        row = page.locator(f'#plan-hours tr[data-hour="{hour}"]')
        for kind, (planned, opened) in kinds.items():
            expect(row.locator(f"td.needed[data-kind={kind}]")).to_have_text(str(planned))
            expect(row.locator(f"td.needed[data-kind={kind}] + td.open")).to_have_text(
                str(opened))
    # The demo city staffs flat: at 10:00 on a day of last week every outsourced counter
    # was open, while the plan asks for fewer in some hour of the week.
    ten = [k["outsourced"] for h, k in figures["rows"].items() if h.endswith("T10")]
    assert any(opened == figures["outsourced_counters"] for _, opened in ten)
    assert any(planned < opened for k in figures["rows"].values()
               for planned, opened in [k["outsourced"]])
    expect(page.locator("#hours-plan")).to_have_text(str(figures["hours_plan_total"]))
    expect(page.locator("#cost-plan")).to_have_text(f"{figures['cost_plan']:,} 円")
    assert_accessible(page, "the staffing plan (ja)")
    screenshot(page, "plan", full_page=False)
    # The CSV link downloads the same plan.
    with page.expect_download() as download:
        page.locator("#plan-csv").click()
    assert download.value.suggested_filename == f"staffing-plan-{figures['week']}.csv"
    body = open(download.value.path(), encoding="utf-8-sig").read()
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][0].startswith("配置計画 Staffing plan")
    hour = next(iter(figures["rows"]))
    line = next(r for r in table if r[:1] == [hour[:10]] and r[2:3] == [f"{hour[11:]}:00"])
    assert [int(line[3]), int(line[4])] == [figures["rows"][hour]["outsourced"][0],
                                            figures["rows"][hour]["staff_only"][0]]
