"""Booking forms: parse what residents and staff type; the rules live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from queueing.privacy import NeverEchoes

from .contacts import phone_domestic

INVALID_CHOICE = _("Choose one of the options.")  # never quotes what was sent


class PhoneField(forms.CharField):
    """A phone number as typed; read in domestic form before the Individual Number check
    (+81 90 1234 5678 has 12 digits), so a valid number is shown back when the form is."""

    privacy_reader = staticmethod(phone_domestic)


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
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Enter your date of birth."),
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
