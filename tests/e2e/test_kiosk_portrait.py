"""Browser: the kiosk on a portrait 1080×1920 touch screen uses its height (taller service
tiles) and shows every service and the check-in without scrolling; a landscape 1920×1080
screen still fits it all too."""

import pytest

from tests.e2e.test_accessibility import assert_accessible

pytestmark = [pytest.mark.e2e, pytest.mark.integration]
KIOSK = "/kiosk/demo-kiosk-key/"
PORTRAIT = {"width": 1080, "height": 1920}
LANDSCAPE = {"width": 1920, "height": 1080}
PORTRAIT_TILE_MIN_PX = 160  # a finger-sized target with the name, the wait and the prefix
LANDSCAPE_TILE_MIN_PX = 100


@pytest.fixture(autouse=True)
def _live_server_helper():
    """Overrides pytest-django's helper (see tests/e2e/test_kiosk.py)."""
    yield


def _layout(new_context, live_server, viewport: dict, lang: str) -> dict:
    context = new_context(viewport=viewport, has_touch=True, is_mobile=False)
    page = context.new_page()
    page.goto(f"{live_server.url}{KIOSK}?lang={lang}")
    tiles = [t.bounding_box() for t in page.locator("button.service").all()]
    check_in = page.locator("#check-in-form button[type=submit]").bounding_box()
    reference = page.locator("#reference").bounding_box()
    scroll_height = page.evaluate("document.documentElement.scrollHeight")
    return {"tiles": tiles, "check_in": check_in, "reference": reference,
            "scroll_height": scroll_height, "page": page}


def _inside(box: dict, viewport: dict) -> bool:
    return (box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= viewport["width"]
            and box["y"] + box["height"] <= viewport["height"])


@pytest.mark.parametrize("lang", ["ja", "ja-easy", "en", "pt-br"])
def test_portrait_kiosk_uses_its_height_and_needs_no_scrolling(live_server, new_context,
                                                               screenshot, lang):
    portrait = _layout(new_context, live_server, PORTRAIT, lang)
    assert len(portrait["tiles"]) >= 12  # the demo city hall's services
    for box in portrait["tiles"] + [portrait["check_in"], portrait["reference"]]:
        assert _inside(box, PORTRAIT), box
    assert min(b["height"] for b in portrait["tiles"]) >= PORTRAIT_TILE_MIN_PX
    assert portrait["scroll_height"] <= PORTRAIT["height"]
    if lang == "ja":
        screenshot(portrait["page"], "kiosk-portrait", full_page=False)
    if lang in ("ja", "ja-easy", "en"):
        assert_accessible(portrait["page"], f"the kiosk's start page in portrait ({lang})")

    landscape = _layout(new_context, live_server, LANDSCAPE, lang)
    for box in landscape["tiles"] + [landscape["check_in"], landscape["reference"]]:
        assert _inside(box, LANDSCAPE), box
    assert min(b["height"] for b in landscape["tiles"]) >= LANDSCAPE_TILE_MIN_PX
    if lang in ("ja", "ja-easy", "en"):
        assert_accessible(landscape["page"], f"the kiosk's start page in landscape ({lang})")
    # Portrait spends its extra height on the tiles, not on empty space below them.
    assert (min(b["height"] for b in portrait["tiles"])
            > 1.2 * min(b["height"] for b in landscape["tiles"]))
