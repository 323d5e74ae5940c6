"""Absences (issue 17 point 5): a parent declares an absence for days
already booked (even after the cancellation délai), sees which booked days it
covers, adds a certificate if they have one; staff decide. Justified: the
places are freed through the engine — the first family waiting gets the place
and its e-mail — and nothing is billed (cancelled_late False). Not justified:
a remark is required and the bookings stay. The family sees the decision."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portail.booking.models import Booking, BookingAudit, BookingStatus
from portail.dossier.models import Absence, AbsenceStatus, Document, DocumentStatus
from portail.notifications.models import OutboxEmail
from tests import factories as f
from tests.billing.invoice_rows import make_invoice
from tests.dossier.samples import HTML, PDF, upload
from tests.helpers import make_booking, page_text

NOW = datetime.datetime(2026, 11, 26, 12, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 12, 7)
DAY2 = datetime.date(2026, 12, 8)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def booked(world):
    """Paolo has the only place of APS MATIN on DAY (Léo MARTIN waits for it)
    and a place on DAY2; the cancellation délai is 2 days before."""
    world.aps_a.cancellation_deadline_days = 2
    world.aps_a.save()
    world.opening_a.capacity = 1
    world.opening_a.save()
    f.OpeningFactory(activity=world.aps_a, date=DAY2)
    world.paolo_day = make_booking(child=world.paolo, activity=world.aps_a, date=DAY, status=BookingStatus.ACCEPTED)
    world.paolo_day2 = make_booking(child=world.paolo, activity=world.aps_a, date=DAY2, status=BookingStatus.ACCEPTED)
    world.leo_waiting = make_booking(child=world.leo, activity=world.aps_a, date=DAY, status=BookingStatus.WAITLISTED)
    return world


def _dupont(world):
    client = Client()
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    return client


def _staff(world, user=None):
    client = Client()
    client.force_login(user or world.staff_a)
    return client


def _declare(client, child, start=DAY, end=DAY2, **more):
    data = {"enfant": child.pk, "du": start.isoformat(), "au": end.isoformat(), "motif": "illness", **more}
    return client.post(reverse("family:absence_declare"), data)


def test_the_page_lists_the_booked_days_a_declaration_covers(booked):
    response = _dupont(booked).get(
        reverse("family:absences"), {"enfant": booked.paolo.pk, "du": "2026-12-01", "au": "2026-12-31"}
    )
    text = page_text(response)
    assert 'data-testid="absence-covered"' in text
    assert "lun. 07/12 — APS MATIN" in text and "mar. 08/12 — APS MATIN" in text


def test_a_declaration_with_a_certificate_covers_the_booked_days(booked):
    response = _declare(_dupont(booked), booked.paolo, justificatif=upload(PDF, "certificat.pdf"), precision="Angine")
    assert response.status_code == 302
    absence = Absence.objects.get()
    assert (absence.child, absence.status, absence.comment) == (booked.paolo, AbsenceStatus.PENDING, "Angine")
    assert set(absence.bookings.all()) == {booked.paolo_day, booked.paolo_day2}
    assert absence.certificate.content_type == "application/pdf" and absence.certificate.family == booked.family_a
    # Declared: nothing changes until staff decide.
    assert Booking.objects.get(pk=booked.paolo_day.pk).status == BookingStatus.ACCEPTED


def test_declaring_after_the_cancellation_delai_is_allowed(booked):
    with time_machine.travel(datetime.datetime(2026, 12, 6, 18, 0, tzinfo=datetime.UTC), tick=False):
        response = _declare(_dupont(booked), booked.paolo, start=DAY, end=DAY)
    assert response.status_code == 302
    assert list(Absence.objects.get().bookings.all()) == [booked.paolo_day]


def test_days_without_a_booking_are_refused_in_french(booked):
    response = _declare(_dupont(booked), booked.amalia)
    assert response.status_code == 400
    assert "Amalia n'a aucun jour réservé du lun. 07/12 au mar. 08/12" in page_text(response)
    assert not Absence.objects.exists()


def test_a_day_is_declared_once(booked):
    client = _dupont(booked)
    assert _declare(client, booked.paolo).status_code == 302
    assert _declare(client, booked.paolo).status_code == 400
    assert Absence.objects.count() == 1


def test_a_certificate_that_is_not_a_document_records_nothing(booked):
    response = _declare(_dupont(booked), booked.paolo, justificatif=upload(HTML, "certificat.pdf"))
    assert response.status_code == 400
    assert "Ce fichier n'est ni un PDF ni une image JPEG ou PNG." in page_text(response)
    assert not Absence.objects.exists() and not Document.objects.exists()


@pytest.mark.parametrize("child", ["leo", "paolo_b"])
def test_another_familys_child_is_a_404(booked, child):
    assert _declare(_dupont(booked), getattr(booked, child)).status_code == 404
    assert not Absence.objects.exists()


def test_an_end_before_the_start_is_refused(booked):
    response = _declare(_dupont(booked), booked.paolo, start=DAY2, end=DAY)
    assert response.status_code == 400 and not Absence.objects.exists()


def _declared(world):
    assert _declare(_dupont(world), world.paolo, justificatif=upload(PDF, "certificat.pdf")).status_code == 302
    return Absence.objects.get()


def test_a_justified_absence_frees_the_places_for_the_waiting_list_unbilled(booked):
    absence = _declared(booked)
    response = _staff(booked).post(reverse("staff:absence_decide", args=[absence.pk]), {"decision": "justifiee"})
    assert response.status_code == 302
    for booking in (booked.paolo_day, booked.paolo_day2):
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED and booking.cancelled_late is False
    audit = BookingAudit.objects.filter(booking=booked.paolo_day, to_status=BookingStatus.CANCELLED).get()
    assert audit.actor == booked.staff_a and "Absence justifiée" in audit.note
    # The first family waiting got the place, and its e-mail.
    booked.leo_waiting.refresh_from_db()
    assert booked.leo_waiting.status == BookingStatus.ACCEPTED
    assert OutboxEmail.objects.filter(to__icontains=booked.martin.email).exists()
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.JUSTIFIED and absence.decided_by == booked.staff_a
    assert Document.objects.get().status == DocumentStatus.VALIDATED
    assert "Justifiée" in page_text(_dupont(booked).get(reverse("family:absences")))


def test_a_justified_absence_after_the_delai_is_still_not_billed(booked):
    absence = _declared(booked)
    with time_machine.travel(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), tick=False):
        _staff(booked).post(reverse("staff:absence_decide", args=[absence.pk]), {"decision": "justifiee"})
    booked.paolo_day.refresh_from_db()
    assert booked.paolo_day.status == BookingStatus.CANCELLED and booked.paolo_day.cancelled_late is False


def test_not_justified_needs_a_remark_and_keeps_the_bookings(booked):
    absence = _declared(booked)
    url = reverse("staff:absence_decide", args=[absence.pk])
    assert _staff(booked).post(url, {"decision": "non-justifiee", "remarque": ""}).status_code == 400
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.PENDING
    response = _staff(booked).post(url, {"decision": "non-justifiee", "remarque": "Certificat illisible"})
    assert response.status_code == 302
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.NOT_JUSTIFIED
    assert set(Booking.objects.filter(child=booked.paolo).values_list("status", flat=True)) == {BookingStatus.ACCEPTED}
    booked.leo_waiting.refresh_from_db()
    assert booked.leo_waiting.status == BookingStatus.WAITLISTED
    assert "Non justifiée : Certificat illisible" in page_text(_dupont(booked).get(reverse("family:absences")))


def test_an_absence_is_decided_once(booked):
    absence = _declared(booked)
    url = reverse("staff:absence_decide", args=[absence.pk])
    assert _staff(booked).post(url, {"decision": "non-justifiee", "remarque": "Non"}).status_code == 302
    assert _staff(booked).post(url, {"decision": "justifiee"}).status_code == 400
    booked.paolo_day.refresh_from_db()
    assert booked.paolo_day.status == BookingStatus.ACCEPTED


def test_staff_see_and_decide_only_their_structures_absences(booked):
    absence = _declared(booked)
    assert "Paolo" in page_text(_staff(booked).get(reverse("staff:absences")))
    other = _staff(booked, booked.staff_b)
    assert "Paolo" not in page_text(other.get(reverse("staff:absences")))
    assert other.post(reverse("staff:absence_decide", args=[absence.pk]), {"decision": "justifiee"}).status_code == 404
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.PENDING


def test_justifying_days_already_invoiced_says_which_invoice_needs_a_credit_note(booked):
    """An issued invoice never changes: staff are told which one still bills
    the days they have just justified (found by the review of the demo: the
    confirmation only said « les places sont libérées »)."""
    december = make_invoice(booked.family_a, month=datetime.date(2026, 12, 1), number=7)
    make_invoice(booked.family_a, month=datetime.date(2026, 11, 1), number=6)  # another month: not named
    absence = _declared(booked)
    response = _staff(booked).post(
        reverse("staff:absence_decide", args=[absence.pk]), {"decision": "justifiee"}, follow=True
    )
    text = page_text(response)
    assert f"Des jours de cette absence figurent sur la facture {december.reference}, déjà émise" in text
    assert "F-2026-000006" not in text


def test_justifying_days_not_invoiced_says_nothing_of_invoices(booked):
    absence = _declared(booked)
    response = _staff(booked).post(
        reverse("staff:absence_decide", args=[absence.pk]), {"decision": "justifiee"}, follow=True
    )
    assert "figurent sur la facture" not in page_text(response)
