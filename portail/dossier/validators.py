"""Checks of what a family types in its file (issue 17)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Digits, spaces and + . - only (« 06 12 34 56 78 », « +33 6.12.34.56.78 »).
_PHONE_CHARACTERS = re.compile(r"[0-9 +.\-]+", re.ASCII)


def validate_phone(value: str) -> None:
    """A phone number: digits, spaces, + . - only, 6 to 20 digits."""
    if not value:
        return
    digits = sum(char.isdigit() for char in value)
    if not _PHONE_CHARACTERS.fullmatch(value) or not 6 <= digits <= 20:
        raise ValidationError(
            _("Numéro de téléphone invalide : de 6 à 20 chiffres, avec seulement des espaces, + . ou -."),
            code="phone",
        )
