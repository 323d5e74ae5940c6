"""Dates as the portal writes them, in the active language (Django's localisation).

Django's French catalogue already gives the manual's forms: "D. d/m" is
« lun. 15/05 » and "l j F Y" is « lundi 15 mai 2023 ». The format strings
themselves go through gettext (context "format de date") so that English
gets its own order ("Mon 15/05", "Monday, May 15, 2023") while French keeps
the manual's exact format (e-mails, compte-rendu, calendars).

The name tuples are lazy: `MONTH_NAMES[4]` is « mai » or "May" depending on
the language active where it is rendered.
"""

import datetime

from django.utils import formats
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.functional import lazy
from django.utils.translation import pgettext

# A Monday: the weekday abbreviations are formatted from it.
_MONDAY = datetime.date(2024, 1, 1)


def _short_day_format() -> str:
    # Translators: Django date format of a short day, « lun. 15/05 ».
    return pgettext("format de date", "D. d/m")


def _long_date_format() -> str:
    # Translators: Django date format of a full date, « lundi 15 mai 2023 ».
    return pgettext("format de date", "l j F Y")


def _month_year_format() -> str:
    # Translators: Django date format of a month, « mai 2023 ».
    return pgettext("format de date", "F Y")


def _weekday_abbr(index: int) -> str:
    # Translators: Django date format of an abbreviated weekday, « lun. ».
    return formats.date_format(_MONDAY + datetime.timedelta(days=index), pgettext("format de date", "D."))


WEEKDAY_ABBR = tuple(lazy(_weekday_abbr, str)(i) for i in range(7))
WEEKDAY_NAMES = tuple(WEEKDAYS[i] for i in range(7))
MONTH_NAMES = tuple(MONTHS[i] for i in range(1, 13))


def short_day(day: datetime.date) -> str:
    """'lun. 15/05', the form of the manual's e-mails and calendars ('Mon 15/05' in English)."""
    return formats.date_format(day, _short_day_format())


# For a value computed now and shown later (an e-mail's context rendered in
# its recipient's language): formatted when it is turned into text.
short_day_lazy = lazy(short_day, str)


def long_date(day: datetime.date) -> str:
    """'lundi 15 mai 2023' ('Monday, May 15, 2023' in English)."""
    return formats.date_format(day, _long_date_format())


def month_year(year: int, month: int) -> str:
    """'mai 2023' ('May 2023' in English), the title of a month's calendar."""
    return formats.date_format(datetime.date(year, month, 1), _month_year_format())
