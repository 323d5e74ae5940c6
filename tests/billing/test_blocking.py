"""An overdue invoice blocks new bookings (issue 16 point 5) when the
structure asks for it (Structure.block_bookings_overdue_days): the recap says
why, with the invoice's number and what is left to pay, and disables
« Confirmer »; a confirmation posted anyway records nothing and keeps the
draft; cancellations still go through. Without the option, the check costs no
query."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from portail.billing import ledger
from portail.billing.blocking import overdue_invoice_block
from portail.billing.models import PaymentMethod
from portail.booking import drafts
from portail.booking.guards import booking_blocks
from portail.booking.models import Booking, BookingStatus, DraftAction, DraftItem
from portail.structures.models import Family
from tests.billing.invoice_rows import make_invoice
from tests.helpers import make_booking, page_text

# Saturday 5 December 2026, 12:00 in Paris.
NOW = datetime.datetime(2026, 12, 5, 11, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 12, 5)
MON = datetime.date(2026, 12, 7)
MESSAGE = (
    "Une facture est en retard de paiement (F-2026-000001, 20,00\u00a0€) : réglez-la pour réserver de nouveaux jours."
)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def blocking(world):
    """CarteVille blocks after 10 days of delay; APS MATIN can be booked on MON."""
    world.a.block_bookings_overdue_days = 10
    world.a.save()
    world.aps_a.booking_deadline_days = world.aps_a.cancellation_deadline_days = 0
    world.aps_a.save()
    return world


def _overdue(family, days_late, cents=2000, number=1, month=datetime.date(2026, 10, 1)):
    return make_invoice(family, month=month, number=number, lines=[("DUPONT Paolo", "APS MATIN", [month], 1, cents)],
                        due_date=TODAY - datetime.timedelta(days=days_late))  # fmt: skip


@pytest.fixture
def parent(client, blocking):
    client.force_login(blocking.dupont)
    client.post(reverse("family:switch_structure"), {"family": blocking.family_a.pk})
    return client


def _family(world):
    return Family.objects.select_related("structure").get(pk=world.family_a.pk)


def _mark(world, action=DraftAction.BOOK):
    draft = drafts.get_draft(world.family_a, world.dupont)
    DraftItem.objects.create(draft=draft, child=world.paolo, activity=world.aps_a, date=MON, action=action)
    return draft


def test_the_recap_says_which_invoice_blocks_and_confirm_records_nothing(parent, blocking):
    _overdue(blocking.family_a, days_late=11)
    draft = _mark(blocking)
    recap = page_text(parent.get(reverse("family:recap")))
    assert 'data-testid="booking-blocks"' in recap
    assert MESSAGE in recap.replace("&#x27;", "'")
    assert 'disabled aria-describedby="booking-blocks-why"' in recap

    response = parent.post(reverse("family:confirm"), {"jeton": str(draft.token)}, follow=True)
    assert MESSAGE in page_text(response).replace("&#x27;", "'")
    assert not Booking.objects.exists()
    assert DraftItem.objects.filter(draft__family=blocking.family_a).count() == 1


def test_paying_the_invoice_lifts_the_block(parent, blocking):
    _overdue(blocking.family_a, days_late=30)
    draft = _mark(blocking)
    ledger.record_payment(blocking.family_a, 1500, PaymentMethod.CHEQUE, receipt_number="1234567")
    # What is left to pay is said, not the invoice's total.
    assert "F-2026-000001, 5,00\u00a0€" in booking_blocks(_family(blocking))[0]
    ledger.record_payment(blocking.family_a, 500, PaymentMethod.CASH)
    assert booking_blocks(_family(blocking)) == []
    parent.post(reverse("family:confirm"), {"jeton": str(draft.token)})
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


def test_a_blocked_family_may_still_cancel(parent, blocking):
    _overdue(blocking.family_a, days_late=40)
    booking = make_booking(child=blocking.paolo, activity=blocking.aps_a, date=MON, status=BookingStatus.ACCEPTED)
    draft = _mark(blocking, DraftAction.CANCEL)
    recap = page_text(parent.get(reverse("family:recap")))
    assert 'data-testid="booking-blocks"' not in recap
    parent.post(reverse("family:confirm"), {"jeton": str(draft.token)})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


@pytest.mark.parametrize(("days_late", "blocked"), [(10, False), (11, True)])
def test_overdue_by_more_than_the_structures_days(blocking, days_late, blocked):
    _overdue(blocking.family_a, days_late=days_late)
    assert (overdue_invoice_block(Family, family=_family(blocking)) is not None) is blocked


def test_several_overdue_invoices_are_all_named(blocking):
    _overdue(blocking.family_a, days_late=50, cents=1000, number=1, month=datetime.date(2026, 9, 1))
    _overdue(blocking.family_a, days_late=20, cents=4250, number=2)
    assert overdue_invoice_block(Family, family=_family(blocking)) == (
        "Des factures sont en retard de paiement (F-2026-000001, 10,00\u00a0€ ; F-2026-000002, 42,50\u00a0€) : "
        "réglez-les pour réserver de nouveaux jours."
    )


def test_only_the_familys_own_invoices_and_structures_option_count(blocking):
    _overdue(blocking.martin_a, days_late=60)
    assert overdue_invoice_block(Family, family=_family(blocking)) is None
    _overdue(blocking.family_a, days_late=60, number=2)
    # DUPONT's family of Les Pinsons: its structure does not block.
    family_b = Family.objects.select_related("structure").get(pk=blocking.family_b.pk)
    assert overdue_invoice_block(Family, family=family_b) is None


def test_no_query_when_the_option_is_off_one_when_on(world, django_assert_num_queries):
    _overdue(world.family_a, days_late=60)
    family = _family(world)
    with django_assert_num_queries(0):
        assert overdue_invoice_block(Family, family=family) is None
    family.structure.block_bookings_overdue_days = 0
    with django_assert_num_queries(1):
        assert overdue_invoice_block(Family, family=family) is not None


def test_staff_set_the_option_in_the_structures_admin(client, world):
    client.force_login(world.staff_a)
    url = reverse("admin:structures_structure_change", args=[world.a.pk])
    assert "Bloquer les réservations après un retard de paiement" in page_text(client.get(url))
    data = {"name": world.a.name, "email": world.a.email, "phone": world.a.phone, "address": world.a.address,
            "processing_time": "02:00", "holiday_subdivision": "", "block_bookings_overdue_days": "15"}  # fmt: skip
    assert client.post(url, data).status_code == 302
    world.a.refresh_from_db()
    assert world.a.block_bookings_overdue_days == 15
    assert client.post(url, {**data, "block_bookings_overdue_days": "-1"}).status_code == 200  # refused
    world.a.refresh_from_db()
    assert world.a.block_bookings_overdue_days == 15
