"""The kitchen's week (issue 18 point 6): the meals of every activity that
serves one (the canteen and a leisure-centre day alike), next week by default,
counted per site (structure) and age band on the day (under 6 / 6 and over),
a day closed by staff written "Fermé : grève" (not like a day without service),
on the page and in a PDF read back with pypdf. Bookings and the closure go
through the engine (booking.staff_actions)."""

import datetime
import io
import re

import pypdf
import pytest
from django.urls import reverse

from portail.booking.staff_actions import close_day, staff_book
from portail.structures.models import Enrolment, Opening
from tests import factories as f
from tests.helpers import page_text
from tests.staff.conftest import visible_text

MEALS = reverse("staff:meals")
MONDAY = datetime.date(2026, 11, 30)  # the week after NOW (jeu. 26/11)
TUESDAY, WEDNESDAY, THURSDAY = (MONDAY + datetime.timedelta(days=n) for n in (1, 2, 3))


@pytest.fixture
def kitchen(world):
    """Next week, for a staff member of both structures:
    - CarteVille's RESTAURATION (a meal) on Monday (Paolo 9, Amalia 7, Tom 5 who turns 6 on Wednesday),
      Tuesday (Léo, then the day closed: « grève ») and Thursday (nobody);
    - CarteVille's ALSH MERCREDI, a leisure-centre day with lunch, on Wednesday (Amalia, Tom now 6, Lina 4);
    - CarteVille's APS MATIN (no meal) on Monday (Paolo);
    - Les Pinsons' ALSH MERCREDI (with lunch) on Wednesday (Paolo of Les Pinsons)."""
    w = world
    manager = f.StaffFactory(username="cuisine", last_name="CUISINE", first_name="Chef", structures=[w.a, w.b])
    family = f.FamilyFactory(structure=w.a, reference="PET", last_name="PETIT")
    tom = f.ChildFactory(family=family, first_name="Tom", last_name="PETIT", birth_date=datetime.date(2020, 12, 2))
    lina = f.ChildFactory(family=family, first_name="Lina", last_name="PETIT", birth_date=datetime.date(2022, 3, 1))
    alsh_a = f.ActivityFactory(structure=w.a, name="ALSH MERCREDI", code="ALSHA", serves_meal=True)
    w.alsh_b.serves_meal = True
    w.alsh_b.save()
    plan = [
        (w.cantine_a, MONDAY, [w.paolo, w.amalia, tom]),
        (w.cantine_a, TUESDAY, [w.leo]),
        (w.cantine_a, THURSDAY, []),
        (alsh_a, WEDNESDAY, [w.amalia, tom, lina]),
        (w.aps_a, MONDAY, [w.paolo]),
        (w.alsh_b, WEDNESDAY, [w.paolo_b]),
    ]
    for activity, day, children in plan:
        Opening.objects.get_or_create(activity=activity, date=day)
        for child in children:
            Enrolment.objects.get_or_create(
                child=child, activity=activity, defaults={"start_date": MONDAY, "end_date": THURSDAY}
            )
            staff_book(child, activity, day, actor=w.staff_a, reason="Inscription à la semaine")
    strike = Opening.objects.get(activity=w.cantine_a, date=TUESDAY)
    close_day(strike, actor=w.staff_a, reason="grève")
    w.manager = manager
    return w


def sections(response):
    """The page's text by heading: {"Mairie de CarteVille": "...", "Toutes structures": "..."}."""
    parts = page_text(response).split("<h2>")[1:]
    texts = [" ".join(re.sub(r"<[^>]+>", " ", part).split()) for part in parts]
    return {part.split("</h2>")[0]: text for part, text in zip(parts, texts, strict=True)}


def test_next_week_by_default_per_site_age_band_and_closed_day(client, kitchen):
    client.force_login(kitchen.manager)
    response = client.get(MEALS)
    text = visible_text(response)
    assert "Semaine du lundi 30 novembre 2026" in text
    assert "lun. 30/11 mar. 01/12 mer. 02/12 jeu. 03/12 ven. 04/12" in text
    by_site = sections(response)
    assert list(by_site) == ["Accueil de loisirs Les Pinsons", "Mairie de CarteVille", "Toutes structures"]

    carteville = by_site["Mairie de CarteVille"]
    # the canteen: Monday 3 (Tom is 5), Tuesday closed with its reason, Thursday open with nobody
    assert "Repas RESTAURATION 3 Fermé : grève — 0 —" in carteville
    # the leisure-centre day's lunch counts too; Tom is 6 on Wednesday
    assert "Repas ALSH MERCREDI — — 3 — — dont moins de 6 ans 1 dont 6 ans et plus 2" in carteville
    assert "APS MATIN 1 — — — —" in carteville and "Repas APS MATIN" not in carteville
    assert "Total des repas 3 Fermé : grève 3 0 0" in carteville
    assert "dont moins de 6 ans 1 0 1 0 0 dont 6 ans et plus 2 0 2 0 0" in carteville

    assert "Repas ALSH MERCREDI — — 1 — —" in by_site["Accueil de loisirs Les Pinsons"]
    everyone = by_site["Toutes structures"]
    assert "Total des repas, toutes structures 3 0 4 0 0" in everyone
    assert "dont moins de 6 ans 1 0 1 0 0 dont 6 ans et plus 2 0 3 0 0" in everyone


def test_each_structure_sees_its_own_sites_only(client, kitchen):
    client.force_login(kitchen.staff_b)
    text = visible_text(client.get(MEALS, {"semaine": WEDNESDAY.isoformat()}))
    assert "Accueil de loisirs Les Pinsons" in text and "CarteVille" not in text and "RESTAURATION" not in text
    assert "Repas ALSH MERCREDI — — 1 — —" in text and "toutes structures" not in text


def test_the_pdf_for_the_kitchen(client, kitchen):
    client.force_login(kitchen.manager)
    response = client.get(MEALS, {"format": "pdf"})  # next week by default, too
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="repas-2026-11-30.pdf"'
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Repas de la semaine du lundi 30 novembre 2026" in text
    assert "lun. 30/11 mar. 01/12 mer. 02/12 jeu. 03/12 ven. 04/12" in text
    assert text.index("Accueil de loisirs Les Pinsons") < text.index("Mairie de CarteVille")  # by name
    assert "RESTAURATION 3 Fermé : grève — 0 —" in text
    assert "ALSH MERCREDI — — 3 — — dont moins de 6 ans — — 1 — — dont 6 ans et plus — — 2 — —" in text
    assert "Total des repas 3 Fermé : grève 3 0 0" in text
    assert "Total des repas, toutes structures 3 0 4 0 0" in text
    assert "APS MATIN" not in text  # no meal: not the kitchen's
    assert f"Page 1 / {len(reader.pages)}" in text
    # the page of the week shown links to its PDF
    assert 'href="?semaine=2026-11-30&amp;format=pdf"' in client.get(MEALS).content.decode()


def test_a_chosen_week_and_bad_values(client, kitchen):
    client.force_login(kitchen.manager)
    text = visible_text(client.get(MEALS, {"semaine": "2026-12-09"}))
    assert "Semaine du lundi 7 décembre 2026" in text and "RESTAURATION" not in text
    for params, message in (
        ({"semaine": "1900-01-01"}, "Semaine invalide : indiquez un jour entre le 01/01/2000 et le 31/12/2100."),
        ({"format": "xlsx"}, "Format inconnu."),
    ):
        response = client.get(MEALS, params)
        assert response.status_code == 400 and message in visible_text(response)
