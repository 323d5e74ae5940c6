"""N2: the compte-rendu e-mail, in exactly the manual's format, built through
the booking engine and the processing run."""

import datetime

import pytest
from django.utils import timezone

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import BookingStatus
from portail.booking.processing import process_requests
from portail.notifications.models import OutboxEmail
from tests import factories as f

MANUAL_EXAMPLE = """
M. DUPONT Jean-Paul

Veuillez trouver ci-dessous un compte rendu des modifications apportées à vos demandes de réservation sur la structure : Mairie de CarteVille.

14 mouvements sur vos demandes de réservations ont été reçus, dont : 
       - 11 nouvelles demandes de réservation
       - 3 demandes d’annulation

****************     RESERVATIONS MISES EN LISTE D'ATTENTE     ****************
--> Activité : APS MATIN : 
         DUPONT Amalia : lun. 15/05, mar. 16/05

****************     RESERVATIONS ACCEPTEES     ****************
--> Activité : APS MATIN : 
         DUPONT Paolo : mar. 09/05, mer. 10/05, jeu. 11/05, ven. 12/05, lun. 15/05, mar. 16/05, mer. 17/05, jeu. 18/05, ven. 19/05

****************     RESERVATIONS ANNULEES     ****************
--> Activité : APS MATIN : 
         DUPONT Amalia : ven. 05/05, mar. 09/05
--> Activité : RESTAURATION : 
         DUPONT Paolo : ven. 05/05
Vous pouvez consulter l'état de vos réservations sur notre site Internet.
"""


def lines(text):
    """Lines with whitespace folded, blank lines dropped (the comparison is whitespace aside)."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def at(day, hour=8):
    return timezone.make_aware(datetime.datetime(2023, 5, day, hour, 0))


def may(day):
    return datetime.date(2023, 5, day)


@pytest.fixture
def manual_world(db):
    structure = f.StructureFactory(name="Mairie de CarteVille")
    account = f.UserFactory(username="jp.dupont", email="jean-paul.dupont@example.org")
    family = f.FamilyFactory(
        structure=structure, civility="M.", last_name="DUPONT", first_name="Jean-Paul", accounts=[account]
    )
    paolo = f.ChildFactory(family=family, first_name="Paolo", last_name="DUPONT")
    amalia = f.ChildFactory(family=family, first_name="Amalia", last_name="DUPONT")
    period = {"booking_period_start": may(1), "booking_period_end": may(31)}
    aps = f.ActivityFactory(
        structure=structure,
        name="APS MATIN",
        code="APSM",
        is_limited=True,
        capacity=10,
        waiting_list_capacity=3,
        **period,
    )
    rest = f.ActivityFactory(structure=structure, name="RESTAURATION", code="REST", **period)
    for day in (2, 4, 5, 9, 10, 11, 12, 15, 16, 17, 18, 19):
        # 15 and 16 May: one place only, which Paolo takes first; Amalia waits.
        f.OpeningFactory(activity=aps, date=may(day), capacity=1 if day in (15, 16) else None)
        f.OpeningFactory(activity=rest, date=may(day))
    for child in (paolo, amalia):
        for activity in (aps, rest):
            f.EnrolmentFactory(child=child, activity=activity, start_date=may(1), end_date=may(31))
    return locals()


def confirm(w, marks, now):
    draft = drafts.get_draft(w["family"], w["account"])
    for child, activity, day in marks:
        drafts.toggle_day(draft, child, activity, day, now=now)
    return confirm_draft(draft, draft.token, user=w["account"], now=now)


def test_manual_example_line_for_line(manual_world):
    w = manual_world
    paolo, amalia, aps, rest = w["paolo"], w["amalia"], w["aps"], w["rest"]
    # Earlier bookings, processed by an earlier run.
    confirm(w, [(amalia, aps, may(5)), (amalia, aps, may(9)), (paolo, rest, may(5))], now=at(1))
    process_requests(w["structure"], now=at(1, 23))
    OutboxEmail.objects.all().delete()

    days = [9, 10, 11, 12, 15, 16, 17, 18, 19]
    marks = [(paolo, aps, may(d)) for d in days] + [(amalia, aps, may(15)), (amalia, aps, may(16))]
    marks += [(amalia, aps, may(5)), (amalia, aps, may(9)), (paolo, rest, may(5))]  # booked days → cancellations
    result = confirm(w, marks, now=at(2))
    assert len(result.movements) == 14
    assert [m.waiting_position for m in result.waitlisted] == [1, 1]

    process_requests(w["structure"], now=at(2, 23))
    email = OutboxEmail.objects.get()
    assert email.to == "jean-paul.dupont@example.org"
    assert "Mairie de CarteVille" in email.subject
    assert lines(email.body_text) == lines(MANUAL_EXAMPLE)
    assert "RESERVATIONS ACCEPTEES" in email.body_html and "DUPONT Paolo : mar. 09/05" in email.body_html


def test_rerunning_sends_nothing_twice(manual_world):
    w = manual_world
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    run = process_requests(w["structure"], now=at(2, 23))
    from portail.notifications.reports import queue_run_reports

    queue_run_reports(run)  # a crash after queuing, then the hook again
    process_requests(w["structure"], now=at(3, 23))
    assert OutboxEmail.objects.count() == 1


def test_singular_forms_and_empty_sections(manual_world):
    w = manual_world
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    process_requests(w["structure"], now=at(2, 23))
    text = lines(OutboxEmail.objects.get().body_text)
    assert "1 mouvement sur vos demandes de réservations a été reçu, dont :" in text
    assert "- 1 nouvelle demande de réservation" in text
    assert "- 0 demande d’annulation" in text
    assert not any("LISTE D'ATTENTE" in line or "ANNULEES" in line for line in text)


def test_accents_in_names(manual_world):
    w = manual_world
    w["family"].last_name, w["family"].first_name = "Lefèvre", "Anaïs"
    w["family"].civility = "Mme"
    w["family"].save()
    w["paolo"].first_name, w["paolo"].last_name = "Zoé", "Lefèvre"
    w["paolo"].save()
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    process_requests(w["structure"], now=at(2, 23))
    text = OutboxEmail.objects.get().body_text
    assert text.startswith("Mme LEFÈVRE Anaïs")
    assert "LEFÈVRE Zoé : mar. 09/05" in text


def test_family_without_email_gets_none(manual_world):
    w = manual_world
    w["account"].email = ""
    w["account"].save()
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    run = process_requests(w["structure"], now=at(2, 23))
    assert run.finished_at is not None and run.movements_count == 1
    assert not OutboxEmail.objects.exists()


def test_two_structures_two_emails(manual_world):
    w = manual_world
    other = f.StructureFactory(name="Accueil de loisirs Les Pinsons")
    family_b = f.FamilyFactory(
        structure=other, civility="M.", last_name="DUPONT", first_name="Jean-Paul", accounts=[w["account"]]
    )
    child_b = f.ChildFactory(family=family_b, first_name="Paolo", last_name="DUPONT")
    alsh = f.ActivityFactory(
        structure=other, name="ALSH MERCREDI", booking_period_start=may(1), booking_period_end=may(31)
    )
    f.OpeningFactory(activity=alsh, date=may(10))
    f.EnrolmentFactory(child=child_b, activity=alsh, start_date=may(1), end_date=may(31))
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    draft = drafts.get_draft(family_b, w["account"])
    drafts.toggle_day(draft, child_b, alsh, may(10), now=at(2))
    confirm_draft(draft, draft.token, user=w["account"], now=at(2))
    process_requests(w["structure"], now=at(2, 23))
    process_requests(other, now=at(2, 23))
    subjects = sorted(OutboxEmail.objects.values_list("subject", flat=True))
    assert len(subjects) == 2
    assert "Accueil de loisirs Les Pinsons" in subjects[0] and "Mairie de CarteVille" in subjects[1]


def test_promotion_notice_and_report(manual_world):
    w = manual_world
    other_account = f.UserFactory(username="autre", email="autre@example.org")
    other = f.FamilyFactory(structure=w["structure"], last_name="MARTIN", accounts=[other_account])
    leo = f.ChildFactory(family=other, first_name="Léo", last_name="MARTIN")
    f.EnrolmentFactory(child=leo, activity=w["aps"], start_date=may(1), end_date=may(31))
    confirm(w, [(w["paolo"], w["aps"], may(15))], now=at(2))
    draft = drafts.get_draft(other, other_account)
    drafts.toggle_day(draft, leo, w["aps"], may(15), now=at(2))
    assert confirm_draft(draft, draft.token, user=other_account, now=at(2)).waitlisted
    confirm(w, [(w["paolo"], w["aps"], may(15))], now=at(3))  # Paolo cancels: Léo is promoted at once
    notice = OutboxEmail.objects.get(kind="liste-attente")
    assert notice.to == "autre@example.org"
    assert "Léo MARTIN" in notice.body_text and "APS MATIN" in notice.body_text and "lun. 15/05" in notice.body_text
    assert "annulez-la avant le sam. 13/05 à 10:00" in notice.body_text
    process_requests(w["structure"], now=at(3, 23))
    report = OutboxEmail.objects.get(kind="compte-rendu", to="autre@example.org")
    assert "RESERVATIONS ACCEPTEES" in report.body_text and "MARTIN Léo : lun. 15/05" in report.body_text
    assert leo.bookings.get().status == BookingStatus.ACCEPTED


def test_reports_left_behind_by_a_crash_are_emailed_by_the_next_run(manual_world):
    from portail.booking import signals
    from portail.notifications import receivers
    from portail.notifications.apps import RUN_FINISHED_UID

    w = manual_world
    confirm(w, [(w["paolo"], w["aps"], may(9))], now=at(2))
    # The process died right after the run committed: the comptes-rendus were never queued.
    assert signals.run_finished.disconnect(dispatch_uid=RUN_FINISHED_UID)
    try:
        process_requests(w["structure"], now=at(2, 23))
    finally:
        signals.run_finished.connect(receivers.queue_run_reports, dispatch_uid=RUN_FINISHED_UID)
    assert not OutboxEmail.objects.exists()
    process_requests(w["structure"], now=at(3, 23))  # nothing new to process, but the report is caught up
    email = OutboxEmail.objects.get()
    assert "DUPONT Paolo : mar. 09/05" in email.body_text
    process_requests(w["structure"], now=at(4, 23))
    assert OutboxEmail.objects.count() == 1
