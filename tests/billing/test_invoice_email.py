"""The e-mail of a new invoice (issue 16 point 2): « Votre facture de novembre
est disponible » through the outbox, to each address of the family, in its
account's language, once, with the amount, the due date and the link to the
family's « Factures » page; Invoice.emailed_at says it was announced."""

import datetime
import re

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portail.billing import invoicing
from portail.billing.models import Invoice, InvoiceKind
from portail.billing.signals import invoices_issued
from portail.booking.models import BookingStatus
from portail.notifications.models import OutboxEmail
from portail.structures.models import Family
from portail.web.family import SESSION_KEY
from tests.billing.invoice_rows import make_invoice
from tests.billing.tariffs import NOVEMBER, make_tariff
from tests.factories import StructureFactory
from tests.helpers import make_booking

AFTER_NOVEMBER = timezone.make_aware(datetime.datetime(2026, 12, 2, 9, 0))


def issued(*invoices):
    """What the invoicing does once the invoices are written (in its transaction)."""
    with transaction.atomic():
        invoices_issued.send(sender=Invoice, invoices=list(invoices))


def test_each_address_of_the_family_gets_the_invoice_email(world):
    invoice = make_invoice(world.family_a, number=12)
    issued(invoice)
    emails = OutboxEmail.objects.filter(kind="facture").order_by("to")
    assert [e.to for e in emails] == ["dupont2@example.org", "dupont@example.org"]
    for email in emails:
        assert email.subject == "Votre facture de novembre est disponible — Mairie de CarteVille"
        assert email.structure_id == world.a.pk
        for body in (email.body_text, email.body_html):
            assert "F-2026-000012" in body
            assert "5,00\u00a0€" in body
            assert "jeudi 31 décembre 2026" in body
            assert settings.SITE_URL in body
        assert "Votre facture de novembre 2026 est disponible (Mairie de CarteVille)." in email.body_text
    invoice.refresh_from_db()
    assert invoice.emailed_at is not None


def test_the_month_is_elided_in_french(world):
    issued(make_invoice(world.martin_a, month=datetime.date(2026, 10, 1), number=3))
    email = OutboxEmail.objects.get(kind="facture")
    assert email.to == "martin@example.org"
    assert email.subject.startswith("Votre facture d'octobre est disponible")


def test_an_english_speaking_parent_reads_it_in_english(world):
    world.martin.language = "en"
    world.martin.save(update_fields=["language"])
    issued(make_invoice(world.martin_a, number=4))
    email = OutboxEmail.objects.get(kind="facture")
    assert email.subject == "Your November invoice is available — Mairie de CarteVille"
    assert "Your November 2026 invoice is available" in email.body_text
    assert "Thursday, December 31, 2026" in email.body_text


def test_announcing_twice_queues_nothing_more(world):
    invoice = make_invoice(world.family_a, number=12)
    issued(invoice)
    first = set(OutboxEmail.objects.values_list("pk", "to"))
    issued(invoice)
    assert set(OutboxEmail.objects.values_list("pk", "to")) == first and len(first) == 2


def test_a_family_without_address_gets_nothing_and_stays_unannounced(world):
    Family.objects.get(pk=world.martin_a.pk).accounts.update(email="")
    invoice = make_invoice(world.martin_a, number=5)
    other = make_invoice(world.family_a, number=6)
    issued(invoice, other)
    assert set(OutboxEmail.objects.values_list("to", flat=True)) == {"dupont@example.org", "dupont2@example.org"}
    invoice.refresh_from_db()
    other.refresh_from_db()
    assert invoice.emailed_at is None and other.emailed_at is not None


def test_a_credit_note_is_not_announced_as_an_invoice(world):
    invoice = make_invoice(world.family_a, number=7)
    credit = make_invoice(world.family_a, kind=InvoiceKind.CREDIT_NOTE, number=1, corrects=invoice, reason="Erreur")
    issued(credit)
    assert not OutboxEmail.objects.exists()


def test_the_emails_roll_back_with_the_issuing(world):
    invoice = make_invoice(world.family_a, number=8)
    with transaction.atomic():
        invoices_issued.send(sender=Invoice, invoices=[invoice])
        transaction.set_rollback(True)
    assert not OutboxEmail.objects.exists()


def test_a_hostile_family_name_is_escaped_in_the_html(world):
    Family.objects.filter(pk=world.martin_a.pk).update(last_name="<script>x</script>")
    issued(make_invoice(Family.objects.get(pk=world.martin_a.pk), number=9))
    email = OutboxEmail.objects.get(kind="facture")
    assert "<script>" not in email.body_html and "&lt;SCRIPT&gt;" in email.body_html


def test_issuing_a_month_announces_each_new_invoice(world):
    """Through the invoicing itself: the receiver is connected (BillingConfig.ready)."""
    make_tariff(world.aps_a, {None: 250})
    for day in (2, 3):
        make_booking(child=world.paolo, activity=world.aps_a, date=NOVEMBER.replace(day=day),
                     status=BookingStatus.ACCEPTED)  # fmt: skip
    (invoice,) = invoicing.issue(world.a, NOVEMBER, actor=world.staff_a, now=AFTER_NOVEMBER)
    emails = OutboxEmail.objects.filter(kind="facture")
    assert sorted(e.to for e in emails) == ["dupont2@example.org", "dupont@example.org"]
    assert all(invoice.reference in e.body_text and "5,00\u00a0€" in e.body_text for e in emails)
    assert Invoice.objects.get(pk=invoice.pk).emailed_at is not None
    invoicing.issue(
        world.a, NOVEMBER, actor=world.staff_a, now=AFTER_NOVEMBER
    )  # issuing twice issues (and announces) once
    assert OutboxEmail.objects.filter(kind="facture").count() == 2


def test_each_invoice_of_a_run_gets_its_own_name_number_and_amount(world):
    """The e-mail is rendered once per language and month, then each invoice's
    values are put in: none leaks into another family's e-mail."""
    dupont = make_invoice(world.family_a, number=21)
    martin = make_invoice(world.martin_a, number=22, lines=[("MARTIN Léo", "APS MATIN", [NOVEMBER], 3, 1000)])
    issued(dupont, martin)
    to_martin = OutboxEmail.objects.get(to="martin@example.org")
    for body in (to_martin.body_text, to_martin.body_html):
        assert "M. MARTIN Luc" in body and "F-2026-000022" in body and "30,00\u00a0€" in body
        assert "DUPONT" not in body and "F-2026-000021" not in body and "5,00" not in body
    for email in OutboxEmail.objects.filter(to__startswith="dupont"):
        assert "M. DUPONT Jean-Paul" in email.body_text and "F-2026-000021" in email.body_html
        assert "MARTIN" not in email.body_text and "30,00" not in email.body_html
        assert "\ue000" not in email.subject + email.body_text + email.body_html


# ------------------------------------------------------------ the link opens the invoice's structure


def _link(email):
    """The e-mail's link to « Factures », as a path, the same in both bodies."""
    (url,) = set(re.findall(re.escape(settings.SITE_URL) + r"[^\s\"<]*", email.body_text))
    assert f'href="{url}"' in email.body_html
    return url.removeprefix(settings.SITE_URL)


def test_the_link_opens_factures_in_the_invoices_structure(client, world):
    """DUPONT's account has a family at both structures; Les Pinsons comes
    first: a bare « Factures » link showed the wrong one (« rien à payer »)."""
    issued(make_invoice(world.family_a, number=31))
    link = _link(OutboxEmail.objects.get(to="dupont@example.org"))
    client.force_login(world.dupont)
    client.get(reverse("family:home"))
    assert client.session[SESSION_KEY] == world.family_b.pk  # where the account is
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == reverse("family:invoices")
    assert client.session[SESSION_KEY] == world.family_a.pk
    page = client.get(response["Location"])
    assert "F-2026-000031" in page.content.decode()


def test_the_link_never_switches_to_a_structure_without_the_accounts_family(client, world):
    elsewhere = StructureFactory(name="Centre social des Tilleuls")
    client.force_login(world.martin)  # a family at CarteVille only
    client.get(reverse("family:home"))
    for structure_id in (world.b.pk, elsewhere.pk, 2**63, 2**70):
        response = client.get(reverse("billing:open_invoices", kwargs={"structure_id": structure_id}))
        assert response.status_code == 302 and response["Location"] == reverse("family:invoices")
        assert client.session[SESSION_KEY] == world.martin_a.pk
        shown = client.get(response["Location"]).content.decode()  # the message, read once
        assert "Cette structure n&#x27;est pas accessible avec votre compte." in shown
    assert client.post(reverse("billing:open_invoices", kwargs={"structure_id": world.a.pk})).status_code == 405


def test_the_link_asks_to_log_in_first_then_opens_the_structure(client, world):
    link = reverse("billing:open_invoices", kwargs={"structure_id": world.a.pk})
    response = client.get(link)
    assert response.status_code == 302 and "next=" in response["Location"]
    assert SESSION_KEY not in client.session
