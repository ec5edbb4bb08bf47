"""The display page: rendered for an active display key, plain words for a bad one."""

import json

import pytest

from demo.city_hall import DISPLAY_KEY
from queueing.models import Device


@pytest.mark.django_db
def test_display_page_renders_for_its_key(client, office):
    response = client.get(f"/display/{DISPLAY_KEY}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html and "<main" in html
    assert f"/ws/display/{DISPLAY_KEY}/" in html
    assert "displays/display.js" in html


@pytest.mark.django_db
def test_revoked_display_key_gets_plain_words_not_an_error(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(revoked=True)
    response = client.get(f"/display/{DISPLAY_KEY}/")
    assert response.status_code == 404
    assert "無効" in response.content.decode()


@pytest.mark.django_db
def test_display_shows_only_its_services(client, office):
    device = Device.objects.get(key=DISPLAY_KEY)
    juminhyo = office.services.get(code="juminhyo")
    device.services.set([juminhyo])
    response = client.get(f"/display/{DISPLAY_KEY}/")
    assert response.context["config"]["service_ids"] == [juminhyo.id]
    assert list(response.context["config"]["service_names"]) == [str(juminhyo.id)]


def _page_config(response) -> dict:
    """The display's script configuration, as the page carries it (json_script)."""
    html = response.content.decode()
    start = html.index('<script id="display-config" type="application/json">')
    body = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(body)


@pytest.mark.django_db
def test_announcement_in_each_configured_language_comes_from_the_catalogues(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(languages=["ja", "en", "zh-hans"])
    phrases = _page_config(client.get(f"/display/{DISPLAY_KEY}/"))["phrases"]
    assert list(phrases) == ["ja", "en", "zh-hans"]
    assert phrases["en"]["announce"] == "Number %(number)s, please come to counter %(counter)s"
    assert phrases["ja"]["announce"] == (
        "受付番号 %(number)s番の方、%(counter)s番窓口へお越しください")
    assert phrases["zh-hans"]["announce"] == "请 %(number)s 号到 %(counter)s 号窗口"
    assert phrases["ja"]["counter"] == "%(counter)s番窓口"
    assert phrases["en"]["people_one"] == "%(count)s person"
    assert phrases["en"]["people_other"] == "%(count)s people"


@pytest.mark.django_db
def test_screen_labels_come_with_the_second_language(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(languages=["ja", "ko"])
    html = client.get(f"/display/{DISPLAY_KEY}/").content.decode()
    assert "お待ちの人数" in html
    assert '<span class="sub" lang="ko" data-label="waiting">대기 인원</span>' in html
    assert "Waiting" not in html and "People waiting" not in html


@pytest.mark.django_db
def test_a_language_code_the_product_does_not_know_is_left_out(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(languages=["ja", "klingon", "en"])
    config = _page_config(client.get(f"/display/{DISPLAY_KEY}/"))
    assert config["languages"] == ["ja", "en"]


@pytest.mark.django_db
def test_screen_labels_of_every_configured_language_come_with_the_page(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(languages=["ja", "en", "ko", "pt-br", "vi"])
    response = client.get(f"/display/{DISPLAY_KEY}/")
    labels = _page_config(response)["labels"]
    assert list(labels) == ["ja", "en", "ko", "pt-br", "vi"]
    assert labels["ko"]["waiting"] == "대기 인원"
    assert labels["pt-br"]["recent"] != labels["en"]["recent"]  # translated, not English
    assert all(set(words) == set(labels["ja"]) for words in labels.values())
    html = response.content.decode()
    # Rendered with the second language; the script turns the small words through the rest.
    assert '<span class="sub" lang="en" data-label="waiting">People waiting</span>' in html


@pytest.mark.django_db
def test_a_display_in_one_language_has_no_second_words(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(languages=["ja"])
    html = client.get(f"/display/{DISPLAY_KEY}/").content.decode()
    assert 'class="sub"' not in html
