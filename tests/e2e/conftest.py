"""Browser harness: a real daphne process on a fresh database, and Debian's Chromium.

``live_server`` starts daphne (PostgreSQL from DATABASE_URL when it is set,
else a temporary SQLite file) with the demo city hall loaded. ``browser`` is
Playwright's Chromium from /usr/bin/chromium; Playwright never downloads one.
Screenshots go to ``test-artifacts/screenshots`` (README's copies live in docs/).
"""

import os
from pathlib import Path

import pytest

from bench.servers import ServerGroup

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


@pytest.fixture(scope="module")
def live_server():
    """One daphne process with the demo data, shared by a test module; stopped afterwards."""
    url = os.environ.get("DATABASE_URL") or None
    if url and not url.startswith("postgres"):
        url = None
    group = ServerGroup(processes=1, database_url=url,
                        redis_url=os.environ.get("REDIS_URL") or None)
    with group:
        yield group


@pytest.fixture(scope="session")
def playwright_instance():
    """The Playwright driver (sync API)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path):
    """Headless Debian Chromium."""
    b = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield b
    b.close()


@pytest.fixture
def screenshot():
    """Save a full-page screenshot under test-artifacts/screenshots/NAME.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
