"""Ranges the product supports, as reusable validators (issue 12, point 2).

They sit on the model fields, so the admin's forms, the import (through the
same fields) and the staff screens' forms refuse a bad value with the same
French message before it reaches the database or a rule that walks the
calendar. Every message is plain text: templates escape it.
"""

import datetime
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# The dates the portal handles: far enough back for any stored history and any
# child's birth date, far enough ahead for any planning. A date outside is a
# typing error (0001 for 2026), and it would overflow the calendar's walks.
FIRST_DATE = datetime.date(2000, 1, 1)
LAST_DATE = datetime.date(2100, 12, 31)

# Places of a day or a waiting list: well above any real activity, well below
# what a PostgreSQL integer holds (2,147,483,647).
MAX_PLACES = 10_000

# The largest id a PostgreSQL bigint (BigAutoField) holds: a larger number in a
# URL or a form is simply not found, never an overflow in the database driver.
MAX_ID = 2**63 - 1

# A closure ("fermeture") covers at most one school year.
MAX_CLOSURE_DAYS = 366


def _in_window(value: datetime.date) -> bool:
    day = value.date() if isinstance(value, datetime.datetime) else value
    return FIRST_DATE <= day <= LAST_DATE


@deconstructible
class DateWindowValidator:
    """A date (or date and time) between FIRST_DATE and LAST_DATE."""

    message = _("Indiquez une date entre le 01/01/2000 et le 31/12/2100.")
    code = "date_out_of_range"

    def __call__(self, value: datetime.date | None) -> None:
        if value is not None and not _in_window(value):
            raise ValidationError(self.message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateWindowValidator)


validate_date_window = DateWindowValidator()


def _is_control(char: str, allowed: str) -> bool:
    # Cc: C0/C1 controls (NUL, ESC, CR, LF…); Cf: invisible format characters that
    # reorder or hide text (right-to-left override…), except the zero-width
    # joiner that composes emoji and some scripts' letters.
    return char not in allowed and (unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS)


# Bidirectional overrides and isolates: they make "exe.txt" read as "txt.exe".
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@deconstructible
class NoControlCharactersValidator:
    """Text without control characters: a name with a line break, a NUL or an
    escape sequence breaks exports, e-mail headers and file names. `multiline`
    allows line breaks and tabs (addresses, messages)."""

    code = "control_characters"

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        allowed = "\r\n\t" if self.multiline else ""
        if value and any(_is_control(char, allowed) for char in str(value)):
            if self.multiline:
                message = _("Ce texte contient des caractères de contrôle (invisibles) : retirez-les.")
            else:
                message = _("Ce texte contient un retour à la ligne ou un caractère invisible : retirez-le.")
            raise ValidationError(message, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharactersValidator) and other.multiline == self.multiline


validate_single_line = NoControlCharactersValidator()
validate_multiline = NoControlCharactersValidator(multiline=True)

places_validators = [
    MinValueValidator(0, _("Indiquez un nombre de places positif ou nul.")),
    MaxValueValidator(MAX_PLACES, _("Indiquez au plus 10 000 places.")),
]


def strip_control_characters(text: object) -> str:
    """The text with its control characters removed (for cells of exports built
    from rows stored before the validators existed)."""
    return "".join(" " if char in "\r\n\t" else char for char in str(text) if not _is_control(char, "\r\n\t"))
