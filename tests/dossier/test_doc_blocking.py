"""A required document missing or expired blocks new bookings (issue 17
point 4) when the structure asks for it (Structure.block_bookings_missing_documents):
the recap says which document and where to send it, « Confirmer » is
disabled, a confirmation posted anyway records nothing and keeps the draft;
cancellations still go through. Without the option, no query."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from portail.booking import drafts
from portail.booking.guards import booking_blocks
from portail.booking.models import Booking, BookingStatus, DraftAction, DraftItem
from portail.dossier.blocking import missing_documents_block
from portail.dossier.models import Document, DocumentKind, DocumentStatus, DocumentType
from portail.structures.models import Family
from tests.helpers import make_booking, page_text

NOW = datetime.datetime(2026, 12, 5, 11, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 12, 5)
MON = datetime.date(2026, 12, 7)
MESSAGE = "Document obligatoire manquant ou expiré : Assurance. Envoyez-le depuis « Mes documents » pour réserver."


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def blocking(world):
    world.a.block_bookings_missing_documents = True
    world.a.save()
    world.aps_a.booking_deadline_days = world.aps_a.cancellation_deadline_days = 0
    world.aps_a.save()
    world.insurance = DocumentType.objects.create(
        structure=world.a, name="Assurance", kind=DocumentKind.INSURANCE, validity_months=12
    )
    # Not required: never blocks.
    DocumentType.objects.create(structure=world.a, name="Photo", required=False)
    return world


@pytest.fixture
def parent(client, blocking):
    client.force_login(blocking.dupont)
    client.post(reverse("family:switch_structure"), {"family": blocking.family_a.pk})
    return client


def _family(world, family=None):
    return Family.objects.select_related("structure").get(pk=(family or world.family_a).pk)


def _mark(world, action=DraftAction.BOOK):
    draft = drafts.get_draft(world.family_a, world.dupont)
    DraftItem.objects.create(draft=draft, child=world.paolo, activity=world.aps_a, date=MON, action=action)
    return draft


def _insurance(world, status, valid_until=None, doc_type=None):
    return Document.objects.create(
        family=world.family_a, doc_type=doc_type or world.insurance, file="documents/x.pdf", original_name="x.pdf",
        content_type="application/pdf", size=10, status=status, valid_until=valid_until,
    )  # fmt: skip


def test_the_recap_names_the_missing_document_and_confirm_records_nothing(parent, blocking):
    draft = _mark(blocking)
    recap = page_text(parent.get(reverse("family:recap")))
    assert 'data-testid="booking-blocks"' in recap
    assert MESSAGE in recap
    assert 'disabled aria-describedby="booking-blocks-why"' in recap
    response = parent.post(reverse("family:confirm"), {"jeton": str(draft.token)}, follow=True)
    assert MESSAGE in page_text(response)
    assert not Booking.objects.exists()
    assert DraftItem.objects.filter(draft__family=blocking.family_a).count() == 1


def test_a_validated_document_lifts_the_block(parent, blocking):
    draft = _mark(blocking)
    _insurance(blocking, DocumentStatus.VALIDATED, datetime.date(2027, 6, 30))
    assert booking_blocks(_family(blocking)) == []
    parent.post(reverse("family:confirm"), {"jeton": str(draft.token)})
    assert Booking.objects.get().status == BookingStatus.ACCEPTED


@pytest.mark.parametrize(
    "status, valid_until, blocked",
    [
        (DocumentStatus.VALIDATED, TODAY - datetime.timedelta(days=1), True),  # expired yesterday
        (DocumentStatus.VALIDATED, TODAY, False),  # valid through today
        (DocumentStatus.REFUSED, None, True),
        (DocumentStatus.PENDING, None, False),  # sent: the structure's turn, not the family's
    ],
    ids=["expired", "last-day", "refused", "pending"],
)
def test_which_states_block(blocking, status, valid_until, blocked):
    _insurance(blocking, status, valid_until)
    assert (missing_documents_block(Family, family=_family(blocking)) is not None) is blocked


def test_a_blocked_family_may_still_cancel(parent, blocking):
    booking = make_booking(child=blocking.paolo, activity=blocking.aps_a, date=MON, status=BookingStatus.ACCEPTED)
    draft = _mark(blocking, DraftAction.CANCEL)
    assert 'data-testid="booking-blocks"' not in page_text(parent.get(reverse("family:recap")))
    parent.post(reverse("family:confirm"), {"jeton": str(draft.token)})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_several_missing_documents_are_all_named(blocking):
    medical = DocumentType.objects.create(structure=blocking.a, name="Certificat médical", per_child=True)
    Document.objects.create(
        family=blocking.family_a, doc_type=medical, child=blocking.amalia, file="documents/y.pdf",
        original_name="y.pdf", content_type="application/pdf", size=10, status=DocumentStatus.VALIDATED,
    )  # fmt: skip
    assert missing_documents_block(Family, family=_family(blocking)) == (
        "Documents obligatoires manquants ou expirés : Assurance, Certificat médical (Paolo). "
        "Envoyez-les depuis « Mes documents » pour réserver."
    )


def test_only_the_familys_structure_option_counts(blocking):
    # DUPONT's family of Les Pinsons: its structure does not block, whatever CarteVille asks.
    assert missing_documents_block(Family, family=_family(blocking, blocking.family_b)) is None


def test_no_query_when_the_option_is_off(world, django_assert_num_queries):
    DocumentType.objects.create(structure=world.a, name="Assurance")
    family = _family(world)
    with django_assert_num_queries(0):
        assert missing_documents_block(Family, family=family) is None
    family.structure.block_bookings_missing_documents = True
    assert missing_documents_block(Family, family=family) == MESSAGE
