"""Booking forms: parse what residents and staff type; the rules live in services."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from queueing.privacy import FreeTextFormField, NeverEchoes

from .contacts import phone_domestic
from .eras import NotADate, birth_date_read

INVALID_CHOICE = _("Choose one of the options.")  # never quotes what was sent


class PhoneField(forms.CharField):
    """A phone number as typed; read in domestic form before the Individual Number check
    (+81 90 1234 5678 has 12 digits), so a valid number is shown back when the form is."""

    privacy_reader = staticmethod(phone_domestic)


class BirthDateWidget(forms.MultiWidget):
    """Three inputs 年/月/日, each with its own label, in a fieldset (the field's legend)."""

    template_name = "appointments/birth_date_widget.html"
    PARTS = (pgettext_lazy("part of a date", "Year"), pgettext_lazy("part of a date", "Month"),
             pgettext_lazy("part of a date", "Day"))

    def __init__(self, attrs=None):
        text = {"autocomplete": "off", "spellcheck": "false"}
        number = {**text, "size": 3, "inputmode": "numeric"}
        super().__init__([
            forms.TextInput(attrs={**text, "size": 8, "class": "birth-year"}),
            forms.TextInput(attrs={**number, "class": "birth-month"}),
            forms.TextInput(attrs={**number, "class": "birth-day"}),
        ], attrs)

    def decompress(self, value):
        """A date as its three inputs (the year written as a Western year)."""
        if not value:
            return [None, None, None]
        return [str(value.year), str(value.month), str(value.day)]

    def get_context(self, name, value, attrs):
        """The sub-inputs, each with the label of its part."""
        context = super().get_context(name, value, attrs)
        for part, label in zip(context["widget"]["subwidgets"], self.PARTS, strict=True):
            part["part_label"] = label
        return context


class BirthDateField(forms.MultiValueField):
    """A date of birth typed as 年/月/日; the year Western (1990) or in an era (平成2, H2,
    令和元). Each input refuses an Individual Number (and NeverEchoes never shows it back)."""

    widget = BirthDateWidget
    default_error_messages = {
        "year": _("Write the year as a number such as 1990, or with its era such as 平成2."),
    }

    def __init__(self, **kwargs):
        parts = [FreeTextFormField(max_length=length) for length in (20, 10, 10)]
        super().__init__(fields=parts, **kwargs)

    def compress(self, data_list):
        """The date of the three cleaned inputs."""
        if not data_list:
            return None
        try:
            return birth_date_read(*data_list)
        except NotADate as exc:
            key = "year" if exc.code == "year" else "invalid"
            raise ValidationError(self.error_messages[key], code=f"invalid_{exc.code}") from exc


class IdentifyForm(NeverEchoes, forms.Form):
    """Who is booking: the notice's reference number, date of birth, a contact, party size."""

    # The booking service refuses an Individual Number in these with its own explanation
    # (what to enter instead); the form only makes sure it is never shown back.
    notice_reference = forms.CharField(
        label=_("Reference number on your notice (3 characters, hyphen, 6 digits)"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text",
                                      "placeholder": "ABC-123456", "spellcheck": "false"}),
    )
    birth_date = BirthDateField(
        label=_("Date of birth"),
        help_text=_("The year as 1990 or in the Japanese era (平成2, H2, 令和元), then the "
                    "month and the day."),
        error_messages={"required": _("Enter your date of birth."),
                        "incomplete": _("Enter your date of birth."),
                        "invalid": _("Enter a real date of birth.")},
    )
    email = forms.CharField(label=_("Email (for the confirmation)"), max_length=254,
                            required=False,
                            widget=forms.TextInput(attrs={"type": "email",
                                                          "autocomplete": "email"}))
    phone = PhoneField(label=_("Or phone number"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    party_size = forms.TypedChoiceField(label=_("Number of people coming to pick up a card"),
                                        coerce=int, choices=[(1, "1")],
                                        error_messages={"invalid_choice": INVALID_CHOICE})

    def __init__(self, *args, max_party: int = 4, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_size"].choices = [(n, str(n)) for n in range(1, max_party + 1)]
        self.fields["party_size"].help_text = _(
            "Each person takes one place; children under 15 come with a legal guardian.")


class PhoneBookingForm(IdentifyForm):
    """Staff booking on a resident's behalf (by phone): the slot is chosen in the form."""

    slot = forms.TypedChoiceField(label=_("Time"), coerce=int, choices=[],
                                  error_messages={"invalid_choice": INVALID_CHOICE})

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = slots
