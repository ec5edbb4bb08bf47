"""The ja-easy catalogue's {漢字|かんじ} notation: ruby on the page, the reading in plain text,
and nothing else of a catalogue entry reaching the page as markup."""

from kiosk.templatetags.furigana import furigana, furigana_reading


def test_notation_becomes_ruby_and_the_rest_is_escaped():
    assert furigana("{番号券|ばんごうけん} を <b>{取|と}</b>って") == (
        "<ruby>番号券<rt>ばんごうけん</rt></ruby> を &lt;b&gt;<ruby>取<rt>と</rt></ruby>"
        "&lt;/b&gt;って")
    assert furigana("{<i>|x}") == "<ruby>&lt;i&gt;<rt>x</rt></ruby>"


def test_text_without_notation_is_only_escaped():
    assert furigana("Take a ticket & go") == "Take a ticket &amp; go"
    assert furigana("{not a pair}") == "{not a pair}"


def test_reading_keeps_the_reading_alone():
    assert furigana_reading("{番号券|ばんごうけん} を {取|と}って ください") == (
        "ばんごうけん を とって ください")
