"""Every page loads in a real browser with the Content-Security-Policy enforced and not one
violation reported; the headers `check --deploy` asks for come on real responses."""

import re
import urllib.request

import pytest

from demo.city_hall import DISPLAY_KEY, KIOSK_KEY

pytestmark = pytest.mark.e2e

PUBLIC_PAGES = [
    f"/kiosk/{KIOSK_KEY}/", f"/kiosk/{KIOSK_KEY}/maintenance/", f"/display/{DISPLAY_KEY}/",
    "/book/demo/mynumber/", "/book/demo/mynumber/poster/", "/staff/login/", "/no-such-page/",
    f"/kiosk/{KIOSK_KEY}/?lang=en",
]
STAFF_PAGES = ["/staff/", "/staff/counter/{counter}/", "/supervisor/", "/supervisor/history/",
               "/supervisor/contract/", "/supervisor/audit/", "/supervisor/jobs/",
               "/staff/bookings/demo/", "/staff/bookings/demo/mynumber/phone/"]
ADMIN_PAGES = ["/admin/", "/admin/queueing/service/", "/admin/queueing/service/add/",
               "/admin/queueing/device/", "/admin/appointments/schedule/"]


def watch(page) -> list[str]:
    """Collect every CSP violation the page reports (console and the DOM event)."""
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text)
            if "Content Security Policy" in m.text or "Content-Security-Policy" in m.text
            else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', e =>"
                         " console.error('Content Security Policy violation: '"
                         " + e.violatedDirective + ' ' + e.blockedURI));")
    return seen


def visit(page, url: str, seen: list[str]) -> None:
    response = page.goto(url, wait_until="networkidle")
    assert response is not None
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, (url, csp)
    page.wait_for_timeout(300)
    assert not seen, (url, seen)


@pytest.fixture(scope="module")
def with_bookings(live_server):
    live_server.manage("appointments_demo")
    return live_server


def test_public_pages_run_with_no_csp_violation(browser, with_bookings):
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    for path in PUBLIC_PAGES:
        visit(page, with_bookings.url + path, seen)
    # A ticket page and the resident's status page, reached as a resident would.
    page.goto(f"{with_bookings.url}/kiosk/{KIOSK_KEY}/", wait_until="networkidle")
    page.locator("button.service:not([disabled])").first.click()
    page.wait_for_url(re.compile(r".*/ticket/.*"))
    page.wait_for_timeout(300)
    assert not seen, seen
    status = page.locator("svg.qr").get_attribute("data-qr")
    visit(page, status, seen)
    context.close()


def test_the_api_docs_run_no_inline_script(browser, live_server):
    """Swagger UI writes <style> elements, so its page alone allows inline styles."""
    page = browser.new_page()
    seen = watch(page)
    response = page.goto(live_server.url + "/api/docs/", wait_until="networkidle")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" in csp.split("style-src")[1]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    page.locator(".swagger-ui .info").wait_for()
    assert not [m for m in seen if "script" in m], seen
    page.close()


@pytest.mark.parametrize("who", ["supervisor", "admin"])
def test_staff_and_admin_pages_run_with_no_csp_violation(browser, with_bookings, who):
    context = browser.new_context()
    page = context.new_page()
    seen = watch(page)
    if who == "supervisor":
        page.goto(f"{with_bookings.url}/staff/login/")
        page.locator("#id_username").fill("supervisor")
        page.locator("#id_password").fill("supervisor-demo-pass")
        page.locator("form.login button[type=submit]").click()
        page.wait_for_url(f"{with_bookings.url}/staff/")
        counter = page.locator("a[href*='/staff/counter/']").first.get_attribute("href")
        paths = [p.replace("/staff/counter/{counter}/", counter) for p in STAFF_PAGES]
    else:
        page.goto(f"{with_bookings.url}/admin/login/")
        page.locator("#id_username").fill("admin")
        page.locator("#id_password").fill("admin-demo-pass")
        page.locator("input[type=submit]").click()
        page.wait_for_url(f"{with_bookings.url}/admin/")
        paths = ADMIN_PAGES
    for path in paths:
        visit(page, with_bookings.url + path, seen)
    context.close()


def test_the_security_headers_of_check_deploy_are_on_real_responses(live_server):
    request = urllib.request.Request(live_server.url + "/staff/login/",
                                     headers={"X-Forwarded-Proto": "https"})
    with urllib.request.urlopen(request) as response:
        headers = response.headers
        cookies = headers.get_all("Set-Cookie") or []
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    csrf = next(c for c in cookies if c.startswith("csrftoken="))
    assert "Secure" in csrf and "SameSite=Lax" in csrf


def test_kiosks_and_displays_never_get_a_session(live_server):
    for path in (f"/kiosk/{KIOSK_KEY}/", f"/display/{DISPLAY_KEY}/"):
        with urllib.request.urlopen(live_server.url + path) as response:
            cookies = response.headers.get_all("Set-Cookie") or []
        assert not any(c.startswith("sessionid=") for c in cookies), (path, cookies)
