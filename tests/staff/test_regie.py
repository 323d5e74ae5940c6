"""« Régie » (issue 16 point 5): staff find a family, read its account,
record a payment received at the desk (allotted to the oldest invoices due,
the rest kept as credit, recorded once however often the form is sent), send
the reminders and print the list, export invoices, credit notes and payments
for an accounting department. Scoped per structure; a bad value is a French
400 that changes nothing."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portail.billing import ledger
from portail.billing.models import Allocation, BillingSettings, InvoiceKind, Payment, PaymentMethod, Reminder
from portail.notifications.models import OutboxEmail
from tests.billing.invoice_rows import make_invoice
from tests.helpers import page_text
from tests.staff.conftest import visible_text

# NOW (tests/staff/conftest.py) is Thursday 26 November 2026, 12:00 in Paris.
TODAY = datetime.date(2026, 11, 26)
SEP, OCT = datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)


@pytest.fixture
def account(world):
    """DUPONT (A) owes two invoices: September's (20,00 €, overdue since 31/10)
    and October's (30,00 €, due on 30/11)."""
    world.september = make_invoice(world.family_a, month=SEP, number=1, due_date=datetime.date(2026, 10, 31),
                                   lines=[("DUPONT Paolo", "APS MATIN", [SEP], 1, 2000)])  # fmt: skip
    world.october = make_invoice(world.family_a, month=OCT, number=2, due_date=datetime.date(2026, 11, 30),
                                 lines=[("DUPONT Amalia", "RESTAURATION", [OCT], 10, 300)])  # fmt: skip
    return world


def _payment(world, **fields):
    data = {"famille": str(world.family_a.pk), "moyen": "cheque", "montant": "25,50", "recu": "CHQ 0012345", "recu_le": "2026-11-25", "remarque": "",
            "dernier": str(Payment.objects.filter(family=world.family_a).order_by("-pk").values_list("pk", flat=True)
                           .first() or 0)}  # fmt: skip
    data.update(fields)
    return data


def _pay_url(world):
    return reverse("staff:regie_payment")


def test_the_search_finds_a_family_and_without_a_search_lists_those_that_owe(staff, account):
    html = visible_text(staff.get(reverse("staff:regie")))
    assert "M. DUPONT Jean-Paul" in html and "50,00 €" in html
    assert "MARTIN" not in html  # owes nothing
    html = visible_text(staff.get(reverse("staff:regie"), {"recherche": "mar"}))
    assert "M. MARTIN Luc" in html and "DUPONT" not in html
    # Another structure's family is never listed, nor reachable.
    make_invoice(account.family_b, month=SEP, number=1)
    assert visible_text(staff.get(reverse("staff:regie"), {"recherche": "DUP"})).count("DUPONT Jean-Paul") == 1
    assert staff.get(reverse("staff:regie_family", args=[account.family_b.pk])).status_code == 404
    assert staff.post(_pay_url(account), _payment(account, famille=str(account.family_b.pk))).status_code == 404
    assert not Payment.objects.exists()


def test_the_account_shows_invoices_with_their_state(staff, account):
    html = visible_text(staff.get(reverse("staff:regie_family", args=[account.family_a.pk])))
    assert "Solde : 50,00 € à payer" in html
    assert "F-2026-000001" in html and "En retard" in html
    assert "F-2026-000002" in html and "À payer" in html


def test_a_payment_settles_the_oldest_invoice_first_and_says_so(staff, account):
    response = staff.post(_pay_url(account), _payment(account), follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:regie_family", args=[account.family_a.pk])
    html = visible_text(response)
    assert "Paiement de 25,50 € enregistré. Réglé : F-2026-000001 (20,00 €), F-2026-000002 (5,50 €)." in html
    payment = Payment.objects.get()
    assert (payment.amount_cents, payment.method, payment.receipt_number, payment.received_on, payment.recorded_by) == (
        2550, PaymentMethod.CHEQUE, "CHQ 0012345", datetime.date(2026, 11, 25), account.staff_a)  # fmt: skip
    account.september.refresh_from_db()
    account.october.refresh_from_db()
    assert (account.september.settled_cents, account.october.settled_cents) == (2000, 550)
    assert "Solde : 24,50 € à payer" in html and "Payée" in html


def test_an_overpayment_stays_as_credit(staff, account):
    # Beyond what the family owes: recorded once the surplus is confirmed (tests/staff/test_regie_corrections.py).
    html = visible_text(
        staff.post(_pay_url(account), _payment(account, moyen="cash", recu="", montant="60", confirme="6000"),
                   follow=True)
    )  # fmt: skip
    assert "Crédit en faveur de la famille : 10,00 €." in html
    assert "Solde Crédit en faveur de la famille : 10,00 €" in html
    assert ledger.balance_cents(account.family_a) == -1000


def test_the_same_form_sent_twice_records_one_payment(staff, account):
    data = _payment(account)
    staff.post(_pay_url(account), data)
    response = staff.post(_pay_url(account), data, follow=True)
    assert "Ce paiement est déjà enregistré" in visible_text(response)
    assert Payment.objects.count() == 1
    # A different payment on a form shown before the first was recorded: refused, nothing recorded.
    response = staff.post(_pay_url(account), {**data, "montant": "3"})
    assert response.status_code == 400
    assert "Un autre paiement vient d'être enregistré" in visible_text(response).replace("&#x27;", "'")
    assert Payment.objects.count() == 1
    # The page shown again carries the new last payment: the next one is recorded.
    staff.post(_pay_url(account), _payment(account, montant="3", moyen="cash", recu=""))
    assert Payment.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"montant": "0"}, "Montant invalide"),
        ({"montant": "12,345"}, "Montant invalide"),
        ({"montant": "1e3"}, "Montant invalide"),
        ({"montant": "-5"}, "Montant invalide"),
        ({"montant": ""}, "Indiquez le montant reçu"),
        ({"moyen": "online"}, "Moyen de paiement inconnu."),
        ({"recu": ""}, "Indiquez le numéro du chèque"),
        ({"moyen": "transfer", "recu": "  "}, "Indiquez le numéro du chèque"),
        ({"recu": "A" * 51}, "Numéro de reçu trop long"),
        ({"recu_le": "2026-11-27"}, "ne peut pas être dans le futur"),
        ({"recu_le": "1999-12-31"}, "Date de réception invalide"),
        ({"dernier": "x"}, "Formulaire incomplet"),
        ({"remarque": "a\r\nb"}, "Remarque invalide"),
    ],
)
def test_a_bad_value_is_refused_in_french_and_records_nothing(staff, account, fields, message):
    response = staff.post(_pay_url(account), _payment(account, **fields))
    assert response.status_code == 400
    assert message in visible_text(response).replace("&#x27;", "'")
    assert not Payment.objects.exists() and not Allocation.objects.exists()


def test_cash_needs_no_receipt_number_and_cents_are_exact(staff, account):
    staff.post(_pay_url(account), _payment(account, moyen="cash", recu="", montant="0,10"))
    staff.post(_pay_url(account), _payment(account, moyen="cesu", recu="CESU 1-4", montant="19,90"))
    assert list(Payment.objects.order_by("pk").values_list("amount_cents", flat=True)) == [10, 1990]
    account.september.refresh_from_db()
    assert account.september.settled_cents == 2000


def test_reminders_sent_by_the_button_once(staff, account):
    BillingSettings.objects.create(structure=account.a, reminder_after_days=15)
    html = visible_text(staff.get(reverse("staff:regie_reminders")))
    assert "F-2026-000001" in html and "F-2026-000002" not in html  # 26 days late / not yet due
    url = reverse("staff:regie_send_reminders")
    html = visible_text(staff.post(url, {"structure": account.a.pk}, follow=True))
    assert "1 facture relancée par e-mail." in html
    assert OutboxEmail.objects.filter(kind="relance").count() == 2  # two parents' addresses
    assert "1 facture relancée par e-mail." not in visible_text(
        staff.post(url, {"structure": account.a.pk}, follow=True)
    )
    assert OutboxEmail.objects.filter(kind="relance").count() == 2
    # Another structure: 404, nothing sent.
    assert staff.post(url, {"structure": account.b.pk}).status_code == 404


def test_the_list_to_print_html_csv_then_marked_printed(staff, account):
    BillingSettings.objects.create(structure=account.a, reminder_after_days=15)
    for user in (account.dupont, account.dupont2):
        user.email = ""
        user.save()
    html = visible_text(staff.get(reverse("staff:regie_print_list")))
    assert "F-2026-000001" in html and "pas d'adresse e-mail" in html.replace("&#x27;", "'")
    # Not offered for an e-mail it cannot get.
    html = visible_text(staff.get(reverse("staff:regie_reminders")))
    assert "F-2026-000001" not in html and "Aucune facture à relancer par e-mail" in html
    response = staff.get(reverse("staff:regie_print_list"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "reference" and rows[1][0] == "F-2026-000001" and rows[1][6] == "20.00"
    # Marking: an id of the other structure or of an invoice not on the list is ignored.
    other = make_invoice(account.family_b, month=SEP, number=1, due_date=datetime.date(2026, 10, 1))
    data = {"structure": account.a.pk, "facture": [account.september.pk, account.october.pk, other.pk]}
    html = visible_text(staff.post(reverse("staff:regie_mark_printed"), data, follow=True))
    assert "1 relance marquée comme imprimée." in html
    assert list(Reminder.objects.values_list("invoice", "level")) == [(account.september.pk, 2)]
    assert "Aucune relance à imprimer." in visible_text(staff.get(reverse("staff:regie_print_list")))


def test_exports_for_an_accounting_department(staff, account):
    note = make_invoice(account.family_a, month=SEP, number=1, kind=InvoiceKind.CREDIT_NOTE,
                        corrects=account.september, reason="Erreur", lines=[("", "Avoir", [], 1, 500)])  # fmt: skip
    ledger.allot(account.family_a.pk)
    ledger.record_payment(account.family_a, 4000, PaymentMethod.CHEQUE, receipt_number="=1+1",
                          received_on=datetime.date(2026, 12, 2))  # fmt: skip
    # The invoice rows are issued on 01/12/2026 (by issue date here; by billed month in test_regie_corrections.py).
    period = {"du": "2026-12-01", "au": "2026-12-31", "selon": "emission"}

    response = staff.get(reverse("staff:regie_exports"), {**period, "documents": "factures", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["numero", "reference", "date_emission", "reference_famille", "famille", "periode_debut",
                       "periode_fin", "total", "echeance", "regle", "reste_du", "etat"]  # fmt: skip
    assert rows[1] == ["1", "F-2026-000001", "2026-12-01", "DUP", "M. DUPONT Jean-Paul", "2026-09-01", "2026-09-30",
                       "20.00", "2026-10-31", "20.00", "0.00", "payée"]  # fmt: skip
    assert rows[2][1] == "F-2026-000002" and rows[2][9:] == ["25.00", "5.00", "à payer"]

    response = staff.get(reverse("staff:regie_exports"), {**period, "documents": "avoirs", "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[1][:4] == ["1", note.reference, "2026-12-01", "F-2026-000001"] and rows[1][8:] == ["5.00", "Erreur"]

    response = staff.get(reverse("staff:regie_exports"), {**period, "documents": "paiements", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[:4] == ["date_reception", "moyen", "numero_recu", "montant"]
    assert row[0].date() == datetime.date(2026, 12, 2) and row[1] == "chèque"
    assert row[2] == "'=1+1"  # the formula guard
    assert float(row[3]) == 40.0 and sheet.cell(2, 4).number_format == "0.00"
    assert row[6] == "F-2026-000001:15.00 F-2026-000002:25.00" and float(row[7]) == 0.0

    # Outside the period: nothing.
    html = visible_text(staff.get(reverse("staff:regie_exports"), {"du": "2026-11-01", "au": "2026-11-30"}))
    assert "Aucun document sur cette période." in html


@pytest.mark.parametrize(
    "params",
    [{"du": "2026-12-01"}, {"du": "2026-12-31", "au": "2026-12-01"}, {"du": "2025-01-01", "au": "2026-12-31"},
     {"documents": "tout"}, {"format": "pdf"}],
)  # fmt: skip
def test_bad_export_parameters_are_a_french_400(staff, account, params):
    assert staff.get(reverse("staff:regie_exports"), params).status_code == 400


def test_an_animator_reaches_none_of_the_regie(client, account):
    from portail.accounts.models import StaffRole

    account.staff_a.staff_role = StaffRole.ANIMATEUR
    account.staff_a.save()
    client.force_login(account.staff_a)
    assert client.get(reverse("staff:regie")).status_code == 403
    assert client.post(_pay_url(account), _payment(account)).status_code == 403
    assert not Payment.objects.exists()
    assert "Régie" not in page_text(client.get(reverse("staff:index")))
