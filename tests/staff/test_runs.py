"""N1 from the staff side: the "Non transmis" demandes, "Lancer le traitement
maintenant", the history of runs; N4: the outbox and "Renvoyer"."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from portail.booking.models import BookingStatus, Movement, MovementKind, ProcessingRun
from portail.notifications.models import EmailStatus, OutboxEmail
from tests.helpers import make_booking
from tests.staff.conftest import DAY, visible_text

RUNS = reverse("staff:runs")
EMAILS = reverse("staff:emails")


@pytest.fixture
def pending(world, full_day):
    paolo, waiting = full_day
    made = [
        Movement.objects.create(
            kind=MovementKind.BOOK, booking=b, family=b.child.family, structure=world.a, outcome=b.status
        )
        for b in [paolo, *waiting]
    ]
    leo_b = make_booking(child=world.paolo_b, activity=world.alsh_b, date=DAY, status=BookingStatus.ACCEPTED)
    Movement.objects.create(
        kind=MovementKind.BOOK, booking=leo_b, family=world.family_b, structure=world.b, outcome=leo_b.status
    )
    return made


def test_pending_demandes_are_listed_with_their_count(staff, world, pending):
    text = visible_text(staff.get(RUNS))
    assert "4 demandes « Non transmis »" in text
    assert "M. DUPONT Jean-Paul DUPONT Paolo APS MATIN lun. 07/12 Réservation Acceptée" in text
    assert "ALSH" not in text
    assert "Aucun traitement pour l'instant" in text


def test_pending_demandes_are_paginated_by_100(staff, world, full_day):
    paolo = full_day[0]
    Movement.objects.bulk_create(
        Movement(kind=MovementKind.BOOK, booking=paolo, family=world.family_a, structure=world.a, outcome="accepted")
        for _ in range(150)
    )
    text = visible_text(staff.get(RUNS))
    assert "150 demandes" in text and "Page 1 / 2" in text and text.count("DUPONT Paolo") == 100
    text = visible_text(staff.get(RUNS, {"structure": world.a.pk, "page": 2}))
    assert "Page 2 / 2" in text and text.count("DUPONT Paolo") == 50


def test_start_the_run_now(staff, world, pending):
    response = staff.post(reverse("staff:start_run"), {"structure": world.a.pk})
    assert response.status_code == 302 and response["Location"] == f"{RUNS}?structure={world.a.pk}"
    run = ProcessingRun.objects.get(structure=world.a)
    assert (run.started_by, run.movements_count, run.families_count) == (world.staff_a, 4, 4)
    assert run.finished_at is not None
    assert not Movement.objects.filter(structure=world.a, run__isnull=True).exists()
    assert Movement.objects.filter(structure=world.b, run__isnull=True).count() == 1  # B untouched
    message = [str(m) for m in get_messages(response.wsgi_request)]
    assert message == ["Traitement terminé pour Mairie de CarteVille : 4 mouvements traités, 4 familles."]
    assert OutboxEmail.objects.filter(kind="compte-rendu", structure=world.a).count() == 5  # dupont has 2 accounts

    text = visible_text(staff.get(response["Location"]))
    assert "0 demande « Non transmis »" in text and "AGENT Alice" in text

    # again: nothing processed twice, no report sent twice
    staff.post(reverse("staff:start_run"), {"structure": world.a.pk})
    assert ProcessingRun.objects.filter(structure=world.a).count() == 2
    assert ProcessingRun.objects.filter(structure=world.a).order_by("-started_at", "-id").first().movements_count == 0
    assert OutboxEmail.objects.filter(kind="compte-rendu").count() == 5


def test_outbox_lists_the_structures_emails_and_resends_a_failed_one(staff, world):
    failed = OutboxEmail.objects.create(
        kind="liste-attente", to="dupont@example.org", subject="Place attribuée", body_text="…", structure=world.a,
        status=EmailStatus.FAILED, attempts=6, last_error="SMTPRecipientsRefused(550)",
    )  # fmt: skip
    OutboxEmail.objects.create(
        kind="compte-rendu", to="x@example.org", subject="Compte-rendu", body_text="…", structure=world.a,
        status=EmailStatus.SENT, attempts=1,
    )  # fmt: skip
    OutboxEmail.objects.create(
        kind="compte-rendu", to="b@example.org", subject="Pinsons", body_text="…", structure=world.b
    )
    text = visible_text(staff.get(EMAILS))
    assert "dupont@example.org Place attribuée liste-attente 6 SMTPRecipientsRefused(550) Renvoyer" in text
    assert "x@example.org" in text and "b@example.org" not in text
    assert text.count("Renvoyer") == 1
    assert "x@example.org" not in visible_text(staff.get(EMAILS, {"etat": "failed"}))

    response = staff.post(reverse("staff:resend_email", args=[failed.pk]), {"etat": "failed", "confirmation": "oui"})
    assert response["Location"] == f"{EMAILS}?etat=failed"
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (EmailStatus.PENDING, 0)
    response = staff.post(reverse("staff:resend_email", args=[failed.pk]))
    assert "Seul un e-mail en échec peut être renvoyé." in [str(m) for m in get_messages(response.wsgi_request)]
