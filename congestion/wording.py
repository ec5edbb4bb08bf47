"""The words residents read for busy levels and for the reasons a day is busy, in the
active language (the page and the JSON say the same)."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from queueing import forecast

from .selectors import Reason


def level_text(level: str) -> str:
    """A busy level in words."""
    return {
        "quiet": _("Quiet"),
        "normal": _("Normal"),
        "busy": _("Busy"),
        "very_busy": _("Very busy"),
        "closed": _("Office closed"),
    }[level]


def reason_text(reason: Reason, day: datetime.date) -> str:
    """A reason in words, e.g. "Monday" or "Day after a holiday"; a special day's own name."""
    if reason.flag == "weekday":
        return date_format(day, "l")
    words = {
        forecast.AFTER_HOLIDAY: _("Day after a holiday"),
        forecast.MONTH_END: _("End of the month"),
        forecast.MONTH_START: _("Start of the month"),
        forecast.MOVING_SEASON: _("Moving season (March and April)"),
        forecast.MOVING_PEAK: _("Peak of the moving season"),
        forecast.SPECIAL + "card_notice_mailing": _("My Number card notices were mailed"),
        forecast.SPECIAL + "benefit_deadline": _("Application deadline"),
        forecast.SPECIAL + "auspicious_day": _("Popular day for registrations"),
    }
    text = words.get(reason.flag, _("Special day"))
    return f"{text} ({reason.label})" if reason.label else text


def factor_text(factor: float) -> str:
    """A factor as residents read it: ×1.3."""
    return f"×{factor:.1f}"
