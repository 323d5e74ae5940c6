"""Issue 13 point 3: the family side, the account pages and the booking
engine's messages read in English by a parent whose browser asks for it.

Each page is fetched with `Accept-Language: en` (an account that never chose
a language follows its browser) and must show its key English sentences and
none of the French words of the same screens. The children's, activities' and
structures' names and the structure's own messages are data, in the language
they were typed in: they are taken out before looking for French."""

import datetime
import re
from html import unescape

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portail.accounts.recovery import set_security_question
from portail.booking.models import BookingStatus, Consumption
from tests import factories as f
from tests.helpers import make_booking

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)

# Words of the French screens (templates, calendar states, booking reasons,
# recovery pages) that an English page must not contain.
FRENCH = [
    "Accueil", "Réserver", "réserver", "Réservation", "réservation", "Récapitulatif", "récapitulatif",
    "Confirmer", "Valider", "Annuler", "annuler", "Abandonner", "Modifier", "Légende", "Mois", "mois",
    "Enfant", "enfant", "Activité", "activité", "Jour", "jour", "Horaires", "Arrivée", "Départ",
    "liste d'attente", "Non transmis", "délai", "Complet", "complet", "libre", "place restante",
    "places restantes", "Aucune", "Aucun", "Vos", "vos", "Votre", "votre", "Mes", "Ma",
    "Historiques", "Imprimer", "Exporter", "Présent", "Présence", "Consommations", "Profil",
    "Mot de passe", "mot de passe", "Identifiant", "identifiant", "Connexion", "connexion",
    "Se connecter", "Retour", "question secrète", "Enregistrer", "adresse", "Recevoir", "Vérifiez",
    "Informations", "demandes", "Demandes", "Fermer", "Tous", "Toutes", "État", "Filtrer",
    "Afficher", "Semaine", "semaine", "lundi", "lun.", "décembre", "Décembre", "novembre", "Novembre",
    "modification", "Trop de", "Réponse", "Le retrouver", "oublié", "Contactez",
]  # fmt: skip


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def parent(english, world):
    english.force_login(world.dupont)
    english.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return english


def visible(response, world):
    """The page's text and the texts of its titles and labels, without the data."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    attributes = re.findall(r'\b(?:title|aria-label|alt|placeholder)="([^"]*)"', html)
    body = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    text = unescape(" ".join([re.sub(r"<[^>]+>", " ", body), *attributes]))
    data = [
        *(s.name for s in (world.a, world.b)),
        *(a.name for a in (world.aps_a, world.cantine_a, world.alsh_b)),
        *(m.title for m in (world.message_a, world.message_b)), "Texte de l'information.",
        "Français",  # the language choice names each language in itself
    ]  # fmt: skip
    for value in data:
        text = text.replace(value, " ")
    return re.sub(r"\s+", " ", text)


def french_left(text):
    return sorted({w for w in FRENCH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)})


def assert_english(response, world, *expected):
    assert response.status_code == 200, response.status_code
    text = visible(response, world)
    assert re.search(r'<html lang="en"', response.content.decode())
    for sentence in expected:
        assert sentence in text, f"{sentence!r} missing"
    left = french_left(text)
    assert not left, f"French left on the page: {left}"


def test_login_page_in_english(english, world):
    response = english.get(reverse("login"))
    assert_english(response, world, "Family Portal", "Log in", "Forgot your password?", "Recover it")


def test_failed_login_says_so_in_english(english, world):
    response = english.post(reverse("login"), {"username": "dupont", "password": "wrong"})
    assert_english(response, world, "Incorrect username or password.")


def test_recovery_pages_in_english(english, world):
    assert_english(
        english.get(reverse("accounts:recovery")),
        world,
        "Forgotten password",
        "Answer my security question",
        "Get a link by e-mail",
        "No security question and no e-mail address?",
    )
    assert_english(english.get(reverse("accounts:recovery_email")), world, "Get the link")
    set_security_question(world.dupont, "Nom de mon chat ?", "Minou")
    english.post(reverse("accounts:recovery"), {"username": "dupont", "way": "question"})
    english.post(reverse("accounts:recovery_question"), {"answer": "faux"})
    # The parent's own question is data: the page around it is English.
    page = english.get(reverse("accounts:recovery_question"))
    assert "Nom de mon chat ?" in page.content.decode()
    page_text = visible(page, world).replace("Nom de mon chat ?", " ")
    assert "Your question:" in page_text and "Check my answer" in page_text
    assert not french_left(page_text), french_left(page_text)


def test_home_and_profile_in_english(parent, world):
    assert_english(parent.get(reverse("family:home")), world, "Home", "Information —")
    assert_english(
        parent.get(reverse("accounts:profile")),
        world,
        "Profile",
        "My password",
        "My e-mail address",
        "My security question",
        "Change the password",
    )


def test_booking_walk_in_english(parent, world):
    """Réserver → calendar → day panel → a day marked → recap → result → Mes réservations."""
    assert_english(parent.get(reverse("family:reserve")), world, "Book your activities", "Which child")
    calendar = parent.get(
        reverse("family:reserve"), {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12"}
    )
    assert_english(
        calendar, world, "December 2026", "Next month", "Key", "Continue", "available", "10 places left",
        "Every Monday of the month", "Monday 7 December",
    )  # fmt: skip
    all_activities = parent.get(
        reverse("family:reserve"), {"enfant": world.paolo.pk, "mois": "2026-12", "jour": DAY.isoformat()}
    )
    assert_english(all_activities, world, "Activities on", "Back to the calendar", "Book")
    copy = parent.get(reverse("family:copy"), {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12"})
    assert_english(copy, world, "Copy bookings", "Copy from child", "Copy from activity", "Close")

    parent.post(
        reverse("family:toggle_day"),
        {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", "date": DAY.isoformat()},
    )
    marked = parent.get(
        reverse("family:reserve"), {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12"}
    )
    assert_english(marked, world, "1 unconfirmed change.", "to book")

    recap = parent.get(reverse("family:recap"))
    assert_english(recap, world, "Summary of your requests", "Bookings requested", "Confirm", "Discard")

    token = re.search(r'name="jeton" value="([^"]+)"', recap.content.decode()).group(1)
    confirmed = parent.post(reverse("family:confirm"), {"jeton": token}, follow=True)
    assert_english(confirmed, world, "Your requests have been saved", "Place booked", "Not yet sent", "Book other days")

    assert_english(
        parent.get(reverse("family:reservations")),
        world,
        "My bookings",
        "Not yet sent (place booked)",
        "does not mean that your request is not accepted",
    )


def test_refusals_of_the_booking_engine_in_english(parent, world):
    """A day that is full is refused with the engine's reason, in English."""
    world.aps_a.openings.filter(date=DAY).update(capacity=1, waiting_list_capacity=0)
    other = f.ChildFactory(family=world.martin_a)
    f.EnrolmentFactory(child=other, activity=world.aps_a)
    make_booking(child=other, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED, queued_at=NOW)
    response = parent.post(
        reverse("family:toggle_day"),
        {"enfant": world.paolo.pk, "activite": world.aps_a.pk, "mois": "2026-12", "date": DAY.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    text = visible(response, world)
    assert "Full, waiting list included" in text and "Complet" not in text


def test_history_in_english(parent, world):
    Consumption.objects.create(child=world.paolo, activity=world.aps_a, date=datetime.date(2026, 11, 3), present=True)
    assert_english(
        parent.get(reverse("family:history")), world, "History", "November 2026", "Present", "Export (CSV)", "Print"
    )
    csv = parent.get(reverse("family:history"), {"format": "csv"}).content.decode("utf-8-sig")
    assert csv.splitlines()[0] == "Child;Activity;Day;Date;Attendance;Arrival;Departure"


def test_a_bad_value_is_refused_in_english(parent, world):
    response = parent.get(reverse("family:reserve"), {"enfant": world.paolo.pk, "mois": "2026-13"})
    assert response.status_code == 400
    assert "Invalid month: choose a month between January 2000 and December 2100." in visible(response, world)
