"""The lobby display's phone ticket box and its code address (displays/join_code.py)."""

import json
import re

import pytest

from demo.city_hall import DISPLAY_KEY
from queueing.models import Device, Office
from queueing.presence_code import presence_code

pytestmark = pytest.mark.django_db

PAGE = f"/display/{DISPLAY_KEY}/"
CODE = f"/display/{DISPLAY_KEY}/join-code/"


def test_the_display_shows_the_code_and_the_qr_code_of_the_phone_page(client, office):
    html = client.get(PAGE).content.decode()
    shown = re.search(r'id="join-code" class="join-code">(\d{4})<', html)[1]
    assert shown in {presence_code(office_id=office.pk).code}
    assert "スマートフォンで整理券" in html and "コード" in html
    assert 'data-qr="http://testserver/join/demo/"' in html
    assert 'aria-label="スマートフォンで整理券を取るためのQRコード"' in html
    config = json.loads(re.search(r'id="join-config" type="application/json">(.*?)</script>',
                                  html)[1])
    assert config["codeUrl"] == CODE and 0 <= config["refresh_in"] <= 300


def test_an_office_open_to_anywhere_shows_the_qr_code_without_a_code(client, office):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.ANYWHERE)
    html = client.get(PAGE).content.decode()
    assert 'data-qr="http://testserver/join/demo/"' in html
    assert 'id="join-code"' not in html and "join_code.js" not in html


def test_an_office_without_phone_tickets_shows_no_box(client, office):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.OFF)
    html = client.get(PAGE).content.decode()
    assert 'id="join"' not in html and "/join/demo/" not in html


def test_the_code_address_answers_the_code_of_now_and_when_it_changes(client, office):
    response = client.get(CODE)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    data = response.json()
    assert data["code"] == presence_code(office_id=office.pk).code
    assert 0 <= data["refresh_in"] <= 300


def test_the_code_address_refuses_a_revoked_or_kiosk_key(client, office):
    Device.objects.filter(key=DISPLAY_KEY).update(revoked=True)
    assert client.get(CODE).status_code == 404
    assert client.get("/display/demo-kiosk-key/join-code/").status_code == 404


def test_the_code_address_gives_no_code_when_the_office_asks_for_none(client, office):
    Office.objects.filter(pk=office.pk).update(phone_join=Office.PhoneJoin.ANYWHERE)
    assert client.get(CODE).json()["code"] is None
