"""The display page: rendered for an active display key, plain words for a bad one."""

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
