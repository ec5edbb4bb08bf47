"""Browser, against a real server process that the test kills and starts again on the same
port: while the server is away the kiosk keeps its own page and says, in its language, that
tickets cannot be issued now; it probes /api/health/ by itself and works again after."""

import os
import re
import signal
import socket
import subprocess
import time

import httpx
import pytest

from tests.e2e.conftest import server_group

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
KIOSK = "/kiosk/demo-kiosk-key/"
OFFLINE_TEXT = {
    "ja": "ただいま整理券を発行できません。窓口でお声がけください。",
    "en": "Tickets cannot be issued right now. Please ask at the desk.",
}
KIOSK_HEADING = {"ja": "整理券をお取りください", "en": "Take a ticket"}


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper (see tests/e2e/test_kiosk.py)."""
    yield


class StoppableServer:
    """The group's server process, killed and started again on the same port by the test."""

    def __init__(self, group):
        self.group = group
        self.port = group.ports[0]
        self.url = group.url
        self.pid = group.pids()[0]
        self.replacement: subprocess.Popen | None = None

    def kill(self) -> None:
        """SIGKILL the running server (its whole process group) and wait until the port is shut."""
        os.killpg(self.pid, signal.SIGKILL)
        if self.replacement is None:
            os.waitpid(self.pid, 0)  # the group's Popen then reads it as ended
        else:
            self.replacement.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _listening(self.port):
            assert time.monotonic() < deadline, "the server still listens after SIGKILL"
            time.sleep(0.1)

    def start_again(self) -> None:
        """Start a new server on the same port and database; wait until /api/health/ answers."""
        self.replacement = subprocess.Popen(
            self.group.server_command(self.port), cwd=self.group.root, env=self.group.env(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.pid = self.replacement.pid
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/api/health/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.replacement.poll() is None, "the restarted server exited"
            assert time.monotonic() < deadline, "the restarted server did not become healthy"
            time.sleep(0.2)

    def stop_replacement(self) -> None:
        """Stop the server the test started (the group stops its own)."""
        if self.replacement is not None and self.replacement.poll() is None:
            os.killpg(self.replacement.pid, signal.SIGTERM)
            self.replacement.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def server():
    """One server process with the demo data; the tests kill it and start it again."""
    group = server_group()
    with group:
        stoppable = StoppableServer(group)
        try:
            yield stoppable
        finally:
            stoppable.stop_replacement()


def _open_kiosk(browser, server, lang: str):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{server.url}{KIOSK}?lang={lang}")
    assert page.locator("#offline").is_hidden()
    return page


def _assert_still_the_kiosk(page, server, lang: str) -> None:
    notice = page.locator("#offline")
    notice.wait_for(state="visible", timeout=15_000)
    assert notice.inner_text() == OFFLINE_TEXT[lang]
    assert page.url == f"{server.url}{KIOSK}?lang={lang}"
    assert page.locator("h1").inner_text() == KIOSK_HEADING[lang]
    assert page.locator("#message").is_hidden()  # no "Printing your ticket…" left behind


def _assert_recovers_and_issues(page, server) -> None:
    page.locator("#offline").wait_for(state="hidden", timeout=30_000)
    page.locator("button.service").first.click()
    page.wait_for_url(re.compile(r"/kiosk/demo-kiosk-key/ticket/[^/]+/"), timeout=15_000)
    assert re.fullmatch(r"A\d{3}", page.locator("#ticket-number").inner_text())
    assert page.locator("#offline").is_hidden()


def test_kiosk_says_so_in_japanese_while_the_server_is_killed_and_recovers(server, browser):
    page = _open_kiosk(browser, server, "ja")
    server.kill()
    page.locator("button.service").first.click()
    _assert_still_the_kiosk(page, server, "ja")
    page.wait_for_timeout(3000)  # a few failed probes later: still the kiosk, still the notice
    _assert_still_the_kiosk(page, server, "ja")
    server.start_again()
    _assert_recovers_and_issues(page, server)
    page.close()


def test_kiosk_in_english_keeps_its_page_when_a_link_is_touched_offline(server, browser):
    page = _open_kiosk(browser, server, "en")
    server.kill()
    page.locator("button.service").first.click()
    _assert_still_the_kiosk(page, server, "en")
    # A language link while the server is away: no browser error page either.
    page.get_by_role("link", name="日本語", exact=True).click()
    page.wait_for_timeout(1000)
    _assert_still_the_kiosk(page, server, "en")
    server.start_again()
    _assert_recovers_and_issues(page, server)
    page.close()


@pytest.mark.parametrize("answer", [
    {"status": 502, "content_type": "text/html", "body": "<h1>502 Bad Gateway</h1>"},
    {"status": 200, "content_type": "text/html", "body": "<h1>Wi-Fi sign-in</h1>"},
], ids=["gateway-error", "not-json-page"])
def test_a_proxy_page_instead_of_the_api_is_offline_too(server, browser, answer):
    # The server itself is up; what stands between (a reverse proxy, a captive portal)
    # answers for it. Playwright plays that middlebox for the API and the health probe.
    page = _open_kiosk(browser, server, "en")
    middlebox = re.compile(r"/api/(v1/tickets|health)/$")
    page.route(middlebox, lambda route: route.fulfill(**answer))
    page.locator("button.service").first.click()
    _assert_still_the_kiosk(page, server, "en")
    page.unroute(middlebox)
    _assert_recovers_and_issues(page, server)
    page.close()


TICKETS_TODAY = ("from queueing.models import Ticket; from queueing.numbering import business_day;"
                 "print(Ticket.objects.filter(business_day=business_day()).count())")


def test_an_answer_lost_on_the_way_back_gets_the_same_ticket_not_a_second(server, browser):
    # Given a kiosk whose first issue request reaches the server, but whose answer the
    # network loses (Playwright forwards the request, then resets the connection)
    def tickets_today() -> int:
        return int(server.group.manage("shell", "-c", TICKETS_TODAY).stdout.split()[-1])

    before = tickets_today()
    page = _open_kiosk(browser, server, "en")
    sent, lost = [], []

    def lose_the_first_answer(route):
        sent.append(route.request.headers.get("idempotency-key"))
        if lost:
            route.continue_()
            return
        lost.append(route.fetch().json())
        route.abort("connectionreset")

    page.route(re.compile(r"/api/v1/tickets/$"), lose_the_first_answer)
    # When a resident presses a service
    page.locator("button.service").first.click()
    # Then the kiosk tries the same request again and prints the ticket already issued
    page.wait_for_url(re.compile(r"/kiosk/demo-kiosk-key/ticket/[^/]+/"), timeout=15_000)
    assert page.locator("#ticket-number").inner_text() == lost[0]["ticket"]
    assert len(sent) == 2 and sent[0] == sent[1] and len(sent[0]) == 32
    assert tickets_today() == before + 1
    page.close()
