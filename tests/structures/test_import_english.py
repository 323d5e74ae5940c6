"""Issue 13 point 3: the family import's admin page in the clerk's language.
Its line errors and the column documentation used to be plain French strings,
shown in French inside an English page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from portail.structures.models import Family
from tests.helpers import page_text
from tests.structures.test_import import IMPORT_URL, csv_bytes, row

# A line whose child's date of birth cannot be a date: the file is refused as a whole.
BAD_DATE = "31/02/2019"
EXPECTED = {
    "en": {
        "reason": f"Invalid date: “{BAD_DATE}” (expected DD/MM/YYYY)",
        "column": "Date of birth of this child, DD/MM/YYYY.",
        "missing_line": f"Date invalide : « {BAD_DATE} » (attendu JJ/MM/AAAA)",
    },
    "fr": {
        "reason": f"Date invalide : « {BAD_DATE} » (attendu JJ/MM/AAAA)",
        "column": "Date de naissance de cet enfant, JJ/MM/AAAA.",
        "missing_line": f"Invalid date: “{BAD_DATE}”",
    },
}


def post_bad_line(world, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.staff_a)
    data = csv_bytes(
        [
            row("F001"),
            row("F002", enfant_prenom="Léa", enfant_nom="MARTIN", enfant_naissance=BAD_DATE),
        ]
    )
    return client.post(IMPORT_URL, {"structure": world.a.pk, "file": SimpleUploadedFile("familles.csv", data)})


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_bad_line_and_the_columns_are_explained_in_the_pages_language(world, language):
    families = Family.objects.count()
    page = post_bad_line(world, language)
    expected = EXPECTED[language]
    text = page_text(page)
    # The reason sits in the errors table, on the spreadsheet's line 3 (line 1 is the header).
    assert f"<tr><td>3</td><td>enfant_naissance</td><td>{expected['reason']}</td></tr>" in text
    assert expected["missing_line"] not in text
    assert f"<td>{expected['column']}</td>" in text
    assert f'<html lang="{language}"' in text
    assert Family.objects.count() == families  # all or nothing: the good line is not written either
