"""N2 in English (issue 13 point 3): an account that reads English gets the
compte-rendu in English, in the manual's layout; an account of the same family
that reads French gets the French one byte for byte as before."""

from django.utils import translation

from portail.booking.processing import process_requests
from portail.notifications.models import OutboxEmail
from tests import factories as f
from tests.notifications import test_report
from tests.notifications.test_report import at, confirm, lines, may

manual_world = test_report.manual_world  # the N2 tests' family, shared as a fixture

# One booking accepted: the singular forms, an empty cancellation count, one section.
FRENCH = (
    "M. DUPONT Jean-Paul\n"
    "\n"
    "Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos demandes de réservation"
    " sur la structure : Mairie de CarteVille.\n"
    "\n"
    "1 mouvement sur vos demandes de réservations a été reçu, dont : \n"
    "       - 1 nouvelle demande de réservation\n"
    "       - 0 demande d’annulation\n"
    "\n"
    "****************     RESERVATIONS ACCEPTEES     ****************\n"
    "--> Activité : APS MATIN : \n"
    "         DUPONT Paolo : mar. 09/05\n"
    "Vous pouvez consulter l'état de vos réservations sur notre site Internet.\n"
    "\n"
)

ENGLISH = """
M. DUPONT Jean-Paul
Please find below a report of the changes made to your booking requests at: Mairie de CarteVille.
1 change to your booking requests was received, including:
- 1 new booking request
- 0 cancellation requests
**************** BOOKINGS ACCEPTED ****************
--> Activity: APS MATIN:
DUPONT Paolo: Tue 09/05
You can check your bookings on our website.
"""


def test_each_account_gets_the_report_in_its_language(manual_world):
    w = manual_world
    f.UserFactory(username="jp.english", email="jp.english@example.org", language="en").families.add(w["family"])
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    process_requests(w["structure"], now=at(2, 23))

    french = OutboxEmail.objects.get(to="jean-paul.dupont@example.org")
    assert french.body_text == FRENCH
    assert french.subject == "Compte-rendu de vos réservations — Mairie de CarteVille"

    english = OutboxEmail.objects.get(to="jp.english@example.org")
    assert english.subject == "Report on your bookings — Mairie de CarteVille"
    assert lines(english.body_text) == lines(ENGLISH)
    assert "BOOKINGS ACCEPTED" in english.body_html and "1 new booking request" in english.body_html
    for french_word in ("Veuillez", "demande", "RESERVATIONS", "Activité"):
        assert french_word not in english.body_text + english.body_html


def test_a_run_started_in_english_still_writes_french_to_a_french_family(manual_world):
    """A staff member reading English starts the run: the family reads French."""
    w = manual_world
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    with translation.override("en"):
        process_requests(w["structure"], now=at(2, 23))
    email = OutboxEmail.objects.get()
    assert email.body_text == FRENCH
    assert email.subject == "Compte-rendu de vos réservations — Mairie de CarteVille"
