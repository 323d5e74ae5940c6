"""The régie's corrections after a clerk's walk of the demo (issue 16 point 5):

1. a desk payment typed by mistake is cancelled (with its reason, kept and
   marked, its invoices settled again by the family's other money, listed in
   the exports), and a payment beyond what the family owes is recorded only
   after the surplus is confirmed;
2. a form error shows the family's page again with the typed values and the
   error by its field, not a separate « Demande invalide » page;
3. the words: « Crédit en faveur de la famille » (not « Avoir / crédit » next
   to the credit notes), exports by billed month by default, and the
   reminders' delay said."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from portail.billing import ledger
from portail.billing.models import Allocation, BillingSettings, Invoice, Payment, PaymentMethod
from tests.billing.invoice_rows import make_invoice
from tests.staff.conftest import NOW, visible_text

SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def account(world):
    """DUPONT (A) owes September's 20,00 € (overdue since 31/10) and October's 30,00 € (due on 30/11)."""
    world.september = make_invoice(world.family_a, month=SEP, number=1, due_date=datetime.date(2026, 10, 31),
                                   lines=[("DUPONT Paolo", "APS MATIN", [SEP], 1, 2000)])  # fmt: skip
    world.october = make_invoice(world.family_a, month=OCT, number=2, due_date=datetime.date(2026, 11, 30),
                                 lines=[("DUPONT Amalia", "RESTAURATION", [OCT], 10, 300)])  # fmt: skip
    return world


def _last(family):
    return str(Payment.objects.filter(family=family).order_by("-pk").values_list("pk", flat=True).first() or 0)


def _payment(world, **fields):
    data = {"famille": str(world.family_a.pk), "moyen": "cheque", "montant": "25,50", "recu": "CHQ 0012345",
            "recu_le": "2026-11-25", "remarque": "", "dernier": _last(world.family_a)}  # fmt: skip
    data.update(fields)
    return data


PAY = reverse("staff:regie_payment")


def _cancel_url(payment):
    return reverse("staff:regie_cancel_payment", args=[payment.pk])


def _settled(*invoices):
    return [Invoice.objects.get(pk=i.pk).settled_cents for i in invoices]


def _csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


# ------------------------------------------------------------------ 1a. « Annuler ce paiement »


def test_a_desk_payment_is_cancelled_with_its_reason_kept_and_the_account_allotted_again(staff, account):
    family = account.family_a
    # Typed 1 000,50 € for 10,50 €: pays both invoices, the rest is credit; a real cheque comes after.
    wrong = ledger.record_payment(family, 100050, PaymentMethod.CHEQUE, actor=account.staff_a, receipt_number="CHQ 1",
                                  received_on=datetime.date(2026, 11, 2))  # fmt: skip
    real = ledger.record_payment(family, 1500, PaymentMethod.CASH, received_on=datetime.date(2026, 11, 20))
    assert _settled(account.september, account.october) == [2000, 3000]
    assert not real.allocations.exists()  # all of it was credit

    response = staff.post(_cancel_url(wrong), {"motif": "Montant mal saisi (10,50 €)"}, follow=True)
    html = visible_text(response)
    assert "Paiement de 1 000,50 € du lun. 02/11 annulé." in html  # (visible_text: spaces collapsed)
    wrong.refresh_from_db()
    assert wrong.cancelled_at == NOW and wrong.cancelled_by == account.staff_a
    assert wrong.cancellation_reason == "Montant mal saisi (10,50 €)"
    assert Payment.objects.filter(pk=wrong.pk).exists()  # kept, never deleted
    assert not wrong.allocations.exists()
    # The cash now settles the oldest invoice; October is due again.
    assert _settled(account.september, account.october) == [1500, 0]
    assert list(Allocation.objects.values_list("payment", "invoice", "amount_cents")) == [
        (real.pk, account.september.pk, 1500)
    ]
    assert ledger.balance_cents(family) == 5000 - 1500
    assert ledger.credit_cents(family) == 0
    assert "Solde : 35,00 € à payer" in html
    # Struck through on the family's page, with who, when and why.
    page = response.content.decode()
    row = re.search(rf'<tr data-cancelled="1" data-testid="regie-payment-{wrong.pk}">.*?</tr>', page, re.S)
    assert row and "<del>1\u202f000,50\u00a0€</del>" in row.group(0)
    assert "Annulé le jeu. 26/11 par" in html and ": Montant mal saisi (10,50 €)" in html
    assert f'data-testid="regie-cancel-{wrong.pk}"' not in page  # no second « Annuler »
    assert f'data-testid="regie-cancel-{real.pk}"' in page


def test_a_second_submit_cancels_once(staff, account):
    payment = ledger.record_payment(account.family_a, 2000, PaymentMethod.CASH)
    staff.post(_cancel_url(payment), {"motif": "Erreur"})
    payment.refresh_from_db()
    first = payment.cancelled_at
    html = visible_text(staff.post(_cancel_url(payment), {"motif": "Encore"}, follow=True))
    assert "Ce paiement est déjà annulé : rien de plus." in html
    payment.refresh_from_db()
    assert (payment.cancelled_at, payment.cancellation_reason) == (first, "Erreur")
    assert ledger.balance_cents(account.family_a) == 5000


@pytest.mark.parametrize("motif", ["", "   ", "a\r\nb", "x" * 201])
def test_a_cancellation_needs_a_reason_on_the_familys_page(staff, account, motif):
    payment = ledger.record_payment(account.family_a, 2000, PaymentMethod.CASH)
    response = staff.post(_cancel_url(payment), {"motif": motif})
    assert response.status_code == 400
    html = visible_text(response)
    assert "Demande invalide" not in html and "Enregistrer un paiement" in html
    assert re.search(r"motif|Motif", html)
    assert f'aria-describedby="c-motif-{payment.pk}-error"' in response.content.decode()
    payment.refresh_from_db()
    assert payment.cancelled_at is None and _settled(account.september) == [2000]


def test_an_online_payment_is_not_cancelled_here(staff, account):
    payment = ledger.record_payment(account.family_a, 2000, PaymentMethod.ONLINE)
    page = staff.get(reverse("staff:regie_family", args=[account.family_a.pk])).content.decode()
    assert f'data-testid="regie-cancel-{payment.pk}"' not in page
    assert "il ne s'annule pas ici" in page
    response = staff.post(_cancel_url(payment), {"motif": "Erreur"})
    assert response.status_code == 400
    assert "l'argent a bien été prélevé" in visible_text(response).replace("&#x27;", "'")
    payment.refresh_from_db()
    assert payment.cancelled_at is None and _settled(account.september) == [2000]


def test_another_structures_payment_is_not_found(staff, account):
    other = ledger.record_payment(account.family_b, 2000, PaymentMethod.CASH)
    assert staff.post(_cancel_url(other), {"motif": "Erreur"}).status_code == 404
    assert staff.post(reverse("staff:regie_cancel_payment", args=[2**40]), {"motif": "Erreur"}).status_code == 404
    assert staff.get(_cancel_url(other)).status_code == 405
    other.refresh_from_db()
    assert other.cancelled_at is None


def test_the_exports_list_the_cancellation_in_its_own_period(staff, account):
    payment = ledger.record_payment(account.family_a, 100050, PaymentMethod.CHEQUE, receipt_number="CHQ 9",
                                    received_on=datetime.date(2026, 10, 20))  # fmt: skip
    staff.post(_cancel_url(payment), {"motif": "Montant mal saisi"})  # on 26/11
    url = reverse("staff:regie_exports")
    october = _csv(staff.get(url, {"du": "2026-10-01", "au": "2026-10-31", "documents": "paiements", "format": "csv"}))
    header = october[0]
    assert header[-3:] == ["operation", "date_annulation", "motif_annulation"]
    assert len(october) == 2
    row = dict(zip(header, october[1], strict=True))
    assert (row["date_reception"], row["montant"], row["operation"]) == ("2026-10-20", "1000.50", "paiement")
    assert (row["date_annulation"], row["motif_annulation"], row["factures_reglees"]) == (
        "2026-11-26", "Montant mal saisi", "")  # fmt: skip
    november = _csv(staff.get(url, {"du": "2026-11-01", "au": "2026-11-30", "documents": "paiements", "format": "csv"}))
    assert len(november) == 2
    row = dict(zip(header, november[1], strict=True))
    assert (row["montant"], row["operation"], row["date_annulation"], row["numero_recu"]) == (
        "-1000.50", "annulation", "2026-11-26", "CHQ 9")  # fmt: skip


# ------------------------------------------------------------------ 1b. a surplus is confirmed


def test_a_payment_beyond_what_is_owed_asks_for_a_confirmation_first(staff, account):
    response = staff.post(PAY, _payment(account, montant="1000,50"))
    assert response.status_code == 200
    html = visible_text(response).replace("\u00a0", " ")
    assert "Ce paiement dépasse le solde dû (50,00 €) : 950,50 € resteront au crédit de la famille. Confirmer ?" in html
    page = response.content.decode()
    assert 'value="1000,50"' in page and 'value="CHQ 0012345"' in page  # the typed values kept
    assert 'name="confirme" value="100050"' in page
    assert not Payment.objects.exists()
    # Confirmed for another amount (the clerk corrected it): asked again.
    response = staff.post(PAY, _payment(account, montant="100,50", confirme="100050"))
    assert "50,50 € resteront au crédit" in visible_text(response).replace("\u00a0", " ")
    assert not Payment.objects.exists()
    # Confirmed: recorded, once.
    data = _payment(account, montant="1000,50", confirme="100050")
    staff.post(PAY, data)
    staff.post(PAY, data)
    assert list(Payment.objects.values_list("amount_cents", flat=True)) == [100050]
    assert ledger.credit_cents(account.family_a) == 95050


def test_what_is_owed_exactly_needs_no_confirmation(staff, account):
    assert staff.post(PAY, _payment(account, montant="50")).status_code == 302
    assert ledger.balance_cents(account.family_a) == 0


@pytest.mark.parametrize("confirme", ["abc", "-1", "1e5", "100000001", "1" * 21, "１２"])
def test_a_hostile_confirmation_is_a_french_error_and_records_nothing(staff, account, confirme):
    response = staff.post(PAY, _payment(account, montant="60", confirme=confirme))
    assert response.status_code == 400
    assert "Formulaire incomplet" in visible_text(response)
    assert not Payment.objects.exists()


# ------------------------------------------------------------------ 2. form errors on the family's page


def test_a_missing_receipt_number_shows_the_form_again_with_the_error_by_its_field(staff, account):
    response = staff.post(PAY, _payment(account, recu="", montant="12,34", remarque="Guichet"))
    assert response.status_code == 400
    html = visible_text(response)
    assert "Demande invalide" not in html
    assert "Solde : 50,00 € à payer" in html.replace("\u00a0", " ")  # the family's account
    page = response.content.decode()
    field = re.search(r'<input id="p-recu"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and 'aria-describedby="p-recu-error p-recu-help"' in field
    error = re.search(r'<span id="p-recu-error">(.*?)</span>\s*</span>', page, re.S).group(1)
    assert "Indiquez le numéro du chèque" in error
    assert 'value="12,34"' in page and 'value="Guichet"' in page and 'value="cheque" required checked' in page
    assert not Payment.objects.exists()


def test_a_bad_amount_is_marked_on_the_amount_field(staff, account):
    response = staff.post(PAY, _payment(account, montant="12,345", moyen="cash", recu=""))
    assert response.status_code == 400
    page = response.content.decode()
    field = re.search(r'<input id="p-montant"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "p-montant-error" in field
    assert "Montant invalide" in re.search(r'<span id="p-montant-error">(.*?)</span>\s*</span>', page, re.S).group(1)
    assert 'value="12,345"' in page and 'value="cash" required checked' in page
    assert '<input id="p-recu" name="recu" maxlength="50" size="20" value="" aria-describedby="p-recu-help">' in page


# ------------------------------------------------------------------ 3. the words


def test_the_familys_credit_is_not_called_an_avoir(staff, account):
    ledger.record_payment(account.family_a, 6000, PaymentMethod.CASH)
    html = visible_text(staff.get(reverse("staff:regie_family", args=[account.family_a.pk]))).replace("\u00a0", " ")
    assert "Avoir / crédit" not in html
    assert html.count("Crédit en faveur de la famille : 10,00 €") == 2  # the balance, and under the credit notes
    assert "Avoirs Aucun avoir." in html


def test_the_exports_default_to_the_billed_month(staff, account):
    # October's invoice issued on 01/12 (make_invoice): October's by billed month, December's by issue date.
    url = reverse("staff:regie_exports")
    october = {"du": "2026-10-01", "au": "2026-10-31"}
    html = visible_text(staff.get(url))  # default: the previous month (October), invoices, by billed month
    assert "F-2026-000002" in html and "F-2026-000001" not in html
    assert "par mois facturé" in html and "par date d'émission" in html.replace("&#x27;", "'")
    assert "F-2026-000002" in visible_text(staff.get(url, {**october, "selon": "mois"}))
    assert "Aucun document" in visible_text(staff.get(url, {**october, "selon": "emission"}))
    rows = _csv(staff.get(url, {"du": "2026-12-01", "au": "2026-12-31", "selon": "emission", "format": "csv"}))
    assert [r[1] for r in rows[1:]] == ["F-2026-000001", "F-2026-000002"]
    assert staff.get(url, {**october, "selon": "jour"}).status_code == 400


def test_a_credit_note_is_exported_in_the_month_it_was_made_not_the_month_it_corrects(staff, account):
    """A credit note copies the period of the invoice it corrects: by billed
    month it would land in October, already exported and imported; it is
    always in the period of its issue date (found by the review of the change)."""
    make_invoice(account.family_a, month=OCT, number=1, kind="credit", corrects=account.october,
                 reason="Absence justifiée", lines=[("DUPONT Amalia", "Avoir", [OCT], 1, 300)],
                 issued_at=datetime.datetime(2026, 12, 10, 9, 0, tzinfo=datetime.UTC))  # fmt: skip
    url = reverse("staff:regie_exports")
    october = {"du": "2026-10-01", "au": "2026-10-31", "documents": "avoirs", "format": "csv"}
    december = {**october, "du": "2026-12-01", "au": "2026-12-31"}
    for by in ("mois", "emission"):
        assert len(_csv(staff.get(url, {**october, "selon": by}))) == 1  # the header only
        rows = _csv(staff.get(url, {**december, "selon": by}))
        assert [r[1] for r in rows[1:]] == ["A-2026-000001"], by


def test_the_reminders_say_their_delay_and_todays_emails(staff, account):
    BillingSettings.objects.create(structure=account.a, reminder_after_days=15)
    staff.post(reverse("staff:regie_send_reminders"), {"structure": account.a.pk})
    html = visible_text(staff.get(reverse("staff:regie_reminders"))).replace("&#x27;", "'")
    assert "0 facture impayée 15 jours après son e-mail (relance papier)" in html  # French plural: 0 is singular
    assert "1 facture relancée par e-mail aujourd'hui : sur la liste à imprimer dans 15 jours" in html
