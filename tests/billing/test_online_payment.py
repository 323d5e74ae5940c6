"""Online payment (issue 16 point 4): the parent is sent to the bank, the
bank notifies us server to server, the parent comes back.

Through Django's test client end to end: the simulated bank's server-to-server
calls (its notification, our status checks) are injected to go through the
test client too (the `bank` fixture). What is checked: one Payment whatever
the number of answers, the return never trusted alone, forged or wrong
answers refused with nothing recorded, payments left « en cours » asked again
by the worker after 10 minutes, and eopayment's backends behind the same
interface (its dummy backend).
"""

import datetime
import re
import urllib.parse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portail.billing import online, payment
from portail.billing.models import (
    BillingSettings,
    Invoice,
    OnlinePayment,
    OnlinePaymentStatus,
    Payment,
    PaymentMethod,
)
from portail.billing.payment import Answer, EopaymentProvider, SimulatedBank, provider_for
from portail.lib import signed_fields
from portail.notifications.signals import worker_pass
from portail.simbank import transport
from tests.billing.invoice_rows import make_invoice
from tests.helpers import page_text

NOVEMBER = datetime.date(2026, 11, 1)
OCTOBER = datetime.date(2026, 10, 1)


@pytest.fixture
def bank(monkeypatch):
    """The server-to-server calls (the bank's notification, our status checks)
    through the test client; each call is recorded as (path, data, status)."""
    calls = []

    def through_test_client(url, data, timeout=10):
        path = urllib.parse.urlsplit(url).path
        response = Client().post(path, urllib.parse.urlencode(data), content_type="application/x-www-form-urlencoded")
        calls.append((path, dict(data), response.status_code))
        return response.status_code, response.content

    monkeypatch.setattr(transport, "post", through_test_client)
    monkeypatch.setattr(payment, "http_post", through_test_client)
    return calls


@pytest.fixture
def w(world, client):
    """DUPONT on its CarteVille family: a November invoice of 5,00 € due, the
    simulated bank as CarteVille's provider."""
    BillingSettings.objects.create(structure=world.a, payment_backend="simulated")
    world.november = make_invoice(world.family_a, month=NOVEMBER, number=1)
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    world.client = client
    return world


def notifications(calls):
    return [c for c in calls if c[0].startswith("/paiement/notification/")]


def status_checks(calls):
    return [c for c in calls if c[0] == reverse("simbank:status")]


def start_payment(w, **data):
    """« Payer en ligne »: the bank's URL the parent is sent to."""
    response = w.client.post(reverse("family:pay"), data)
    assert response.status_code == 302, page_text(response)
    assert urllib.parse.urlsplit(response["Location"]).path == reverse("simbank:pay")
    return response["Location"]


def bank_decides(w, bank_url, choice):
    """The parent on the bank's page clicks `choice`; the URL it is sent back to."""
    page = w.client.get(bank_url)
    assert page.status_code == 200
    fields = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(bank_url).query))
    response = w.client.post(reverse("simbank:pay"), {**fields, "choice": choice})
    assert response.status_code == 302
    return response["Location"]


def invoice_state(text, reference):
    """The state shown on the « Factures » page for one invoice (its row's data-state)."""
    match = re.search(rf'data-state="(\w+)" data-testid="invoice-{reference}"', text)
    return match[1] if match else None


def come_back(w, return_url):
    """The parent's return: redirected to « Factures » with a message."""
    response = w.client.get(return_url)
    assert response.status_code == 302 and response["Location"] == reverse("family:invoices")
    return page_text(w.client.get(response["Location"]))


def test_paid_through_the_bank_records_one_payment_and_the_invoice_shows_paid(w, bank):
    bank_url = start_payment(w)
    assert "5,00" in page_text(w.client.get(bank_url))  # the bank shows our amount
    online_payment = OnlinePayment.objects.get()
    assert online_payment.status == OnlinePaymentStatus.PENDING
    assert list(online_payment.invoices.all()) == [w.november]

    return_url = bank_decides(w, bank_url, "payer")

    assert [c[2] for c in notifications(bank)] == [200]
    paid = Payment.objects.get()
    assert (paid.family, paid.amount_cents, paid.method) == (w.family_a, 500, PaymentMethod.ONLINE)
    online_payment.refresh_from_db()
    assert online_payment.status == OnlinePaymentStatus.PAID and online_payment.payment == paid
    w.november.refresh_from_db()
    assert w.november.settled_cents == w.november.total_cents
    text = come_back(w, return_url)
    assert "Paiement reçu, merci" in text
    assert invoice_state(text, w.november.reference) == "paid" and "Payée" in text
    assert Payment.objects.count() == 1


def test_refused_by_the_bank_leaves_the_invoice_due_with_a_french_message(w, bank):
    return_url = bank_decides(w, start_payment(w), "refuser")

    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.REFUSED
    text = come_back(w, return_url)
    assert "Le paiement a été refusé par la banque : votre facture reste à payer." in text
    assert invoice_state(text, w.november.reference) == "due" and "À payer" in text
    w.november.refresh_from_db()
    assert w.november.settled_cents == 0


def test_a_second_notification_or_the_return_records_nothing_more(w, bank):
    return_url = bank_decides(w, start_payment(w), "payer")
    (path, data, _status) = notifications(bank)[0]

    again = Client().post(path, urllib.parse.urlencode(data), content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200
    come_back(w, return_url)
    # The provider's status, asked directly, records nothing either.
    online.handle_answer(SimulatedBank(w.a.pk, {}).parse(urllib.parse.urlencode(data)), structure_id=w.a.pk)

    assert Payment.objects.count() == 1
    assert sum(a.amount_cents for a in Payment.objects.get().allocations.all()) == 500


def test_a_lost_notification_is_settled_by_asking_the_bank_on_return(w, bank, monkeypatch):
    def network_down(url, data, timeout=10):
        raise OSError("connection refused")

    monkeypatch.setattr(transport, "post", network_down)  # the bank's notification never arrives
    return_url = bank_decides(w, start_payment(w), "payer")
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING

    text = come_back(w, return_url)

    assert len(status_checks(bank)) == 1  # our server asked the bank
    assert "Paiement reçu, merci" in text
    assert Payment.objects.get().amount_cents == 500


def test_the_return_alone_never_pays(w, bank):
    bank_url = start_payment(w)
    w.client.get(bank_url)  # the parent sees the bank's page, then comes back by hand
    order = OnlinePayment.objects.get().order_id
    forged = reverse("family:payment_return", args=[order]) + "?result=paid&amount=500&signature=" + "0" * 64

    text = come_back(w, forged)

    assert "Paiement en cours de vérification" in text
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING


def test_abandoned_sends_no_notification_and_the_bank_says_so_when_asked(w, bank):
    return_url = bank_decides(w, start_payment(w), "abandonner")
    assert notifications(bank) == []
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING

    text = come_back(w, return_url)

    assert "Paiement abandonné : votre facture reste à payer." in text
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.ABANDONED
    assert not Payment.objects.exists()


def _notification(w, **changes):
    """A notification as the bank would send it for the pending payment, with `changes`."""
    online_payment = OnlinePayment.objects.get()
    fields = {
        "merchant": str(w.a.pk),
        "order": online_payment.order_id,
        "transaction": "SIM123",
        "amount": str(online_payment.amount_cents),
        "result": "paid",
    }
    key = changes.pop("key", signed_fields.merchant_key(str(w.a.pk)))
    signed = signed_fields.sign({**fields, **changes}, key)
    return signed


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda w: {**_notification(w), "signature": "0" * 64}, id="bad-signature"),
        pytest.param(lambda w: {**_notification(w), "amount": "1"}, id="amount-changed-after-signing"),
        pytest.param(lambda w: _notification(w, amount="1"), id="signed-but-another-amount"),
        pytest.param(lambda w: _notification(w, key=signed_fields.merchant_key(str(w.b.pk))), id="another-key"),
        pytest.param(lambda w: _notification(w, order="20261127unknown"), id="unknown-order"),
        pytest.param(lambda w: {k: v for k, v in _notification(w).items() if k != "signature"}, id="unsigned"),
        pytest.param(lambda w: _notification(w, result="paid!"), id="unknown-result"),
    ],
)
def test_a_forged_or_wrong_notification_is_refused_and_records_nothing(w, bank, forge):
    start_payment(w)
    data = forge(w)

    response = Client().post(
        reverse("billing:notify", args=[w.a.pk]),
        urllib.parse.urlencode(data),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING


def test_an_order_of_one_structure_notified_to_another_is_refused(w, bank):
    BillingSettings.objects.create(
        structure=w.b, payment_backend="simulated", payment_options={"merchant": str(w.a.pk)}
    )
    start_payment(w)

    response = Client().post(
        reverse("billing:notify", args=[w.b.pk]),
        urllib.parse.urlencode(_notification(w)),
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("method", "body"),
    [
        ("post", "garbage"),
        ("post", "merchant=1&order=" + "A" * 100_000),
        ("get", "%ff%fe=\x00"),
        ("post", "&".join(f"f{i}=1" for i in range(2000))),
    ],
)
def test_hostile_notifications_are_a_400_never_a_500(w, method, body):
    url = reverse("billing:notify", args=[w.a.pk])
    client = Client()
    if method == "post":
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    else:
        response = client.get(url + "?" + body)
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_notifications_of_a_structure_without_online_payment_are_404(w):
    for structure_id in (w.b.pk, 2**63, 10**30):
        response = Client().post(f"/paiement/notification/{structure_id}/", "a=1", content_type="text/plain")
        assert response.status_code == 404


def test_the_worker_asks_the_bank_again_after_ten_minutes(w, bank, monkeypatch):
    monkeypatch.setattr(transport, "post", lambda *a, **k: (503, b""))  # the notification fails
    bank_decides(w, start_payment(w), "payer")
    online_payment = OnlinePayment.objects.get()
    assert online_payment.status == OnlinePaymentStatus.PENDING

    soon = online_payment.created_at + datetime.timedelta(minutes=5)
    assert online.recheck_pending(now=soon) is None
    assert status_checks(bank) == []

    later = online_payment.created_at + datetime.timedelta(minutes=11)
    answers = worker_pass.send_robust(sender=None, now=later)  # as `manage.py worker` does

    lines = [answer for _receiver, answer in answers if isinstance(answer, str) and "Paiements en ligne" in answer]
    assert lines == ["Paiements en ligne en cours : 1 vérifié auprès de la banque (réponses : 1)."]
    assert len(status_checks(bank)) == 1
    assert Payment.objects.get().amount_cents == 500
    # Answered: the next passes leave it alone.
    assert online.recheck_pending(now=later + datetime.timedelta(hours=1)) is None


def test_a_payment_nobody_answers_is_abandoned_after_a_day(w, bank):
    start_payment(w)  # the parent never reaches a decision: the bank says "pending"
    online_payment = OnlinePayment.objects.get()

    online.recheck_pending(now=online_payment.created_at + datetime.timedelta(hours=2))
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING

    online.recheck_pending(now=online_payment.created_at + datetime.timedelta(days=1, minutes=1))
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.ABANDONED
    assert not Payment.objects.exists()


def test_a_paid_answer_after_an_abandonment_is_still_recorded(w, bank):
    """Money taken is always recorded, even after we had given up."""
    start_payment(w)
    online_payment = OnlinePayment.objects.get()
    OnlinePayment.objects.filter(pk=online_payment.pk).update(status=OnlinePaymentStatus.ABANDONED)
    answer = Answer(online_payment.order_id, "T1", 500, OnlinePaymentStatus.PAID, signed=True)

    assert online.handle_answer(answer, structure_id=w.a.pk).status == OnlinePaymentStatus.PAID
    assert online.handle_answer(answer, structure_id=w.a.pk).payment == Payment.objects.get()


def test_one_invoice_or_all_invoices_due(w, bank):
    october = make_invoice(w.family_a, month=OCTOBER, number=2, due_date=datetime.date(2026, 11, 30))

    start_payment(w, facture=october.pk)
    start_payment(w)

    one, both = OnlinePayment.objects.order_by("pk")
    assert (one.amount_cents, list(one.invoices.all())) == (october.total_cents, [october])
    assert both.amount_cents == october.total_cents + w.november.total_cents
    assert set(both.invoices.all()) == {october, w.november}


def test_nothing_due_or_no_provider_is_a_french_refusal_that_records_nothing(w, bank):
    Invoice.objects.filter(pk=w.november.pk).update(settled_cents=500)
    response = w.client.post(reverse("family:pay"))
    assert response.status_code == 400
    assert "rien à payer" in page_text(response)

    Invoice.objects.filter(pk=w.november.pk).update(settled_cents=0)
    BillingSettings.objects.filter(structure=w.a).update(payment_backend="")
    response = w.client.post(reverse("family:pay"))
    assert response.status_code == 400
    assert "n'est pas proposé" in page_text(response)
    assert not OnlinePayment.objects.exists()


def test_the_simulated_bank_is_never_a_provider_outside_development_and_tests(w, settings):
    billing = BillingSettings.objects.get(structure=w.a)
    assert isinstance(provider_for(billing), SimulatedBank)
    settings.SIMULATED_BANK = False
    assert provider_for(billing) is None
    billing.payment_backend = "payfip_ws"
    assert isinstance(provider_for(billing), EopaymentProvider)
    billing.payment_backend = "not-a-backend"
    assert provider_for(billing) is None


def test_an_eopayment_backend_behind_the_same_interface(w):
    """eopayment's own dummy backend: the order goes out, its signed answer
    comes back; an unsigned one is refused, and so is its paid answer, which
    does not say the amount (issue 16 point 4: the backends we allow all say
    it; PayFiP's and PayZen's are in test_payment_backends.py); a signed
    answer that is not a payment is applied."""
    provider = EopaymentProvider("dummy", {"origin": "Portail Famille"})
    online_payment = OnlinePayment.objects.create(
        structure=w.a, family=w.family_a, amount_cents=500, order_id="20261127abc", backend="dummy"
    )
    online_payment.invoices.set([w.november])

    outgoing = provider.start(online_payment, "https://portail.example/retour/", "https://portail.example/notif/")
    online_payment.save()

    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(outgoing.url).query))
    assert (query["amount"], query["orderid"]) == ("5", "20261127abc")
    assert query["direct_notification_url"] == "https://portail.example/notif/"
    transaction_id = online_payment.transaction_id
    assert query["transaction_id"] == transaction_id

    with pytest.raises(online.AnswerRefused):
        online.handle_answer(provider.parse(f"transaction_id={transaction_id}&ok=1"), structure_id=w.a.pk)
    answer = provider.parse(f"transaction_id={transaction_id}&signed=1&ok=1")
    assert (answer.status, answer.signed, answer.amount_cents) == (OnlinePaymentStatus.PAID, True, None)
    with pytest.raises(online.AnswerRefused, match="without an amount"):
        online.handle_answer(answer, structure_id=w.a.pk)
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING

    failed = provider.parse(f"transaction_id={transaction_id}&signed=1")
    assert online.handle_answer(failed, structure_id=w.a.pk).status == OnlinePaymentStatus.ERROR
    assert not Payment.objects.exists()


def test_an_eopayment_answer_for_another_amount_is_refused(w):
    provider = EopaymentProvider("payfip_ws", {"numcli": "123456"})
    online_payment = OnlinePayment.objects.create(
        structure=w.a, family=w.family_a, amount_cents=500, order_id="20261127abd", transaction_id="IDOP1",
        backend="payfip_ws",
    )  # fmt: skip

    class Response:  # what eopayment's payfip_ws answers, read by our glue
        result, signed, order_id, transaction_id, return_content = 3, True, "IDOP1", "REF IDOP1", None
        bank_data = {"montant": "400", "resultrans": "P"}

    answer = provider._answer(Response())
    assert (answer.amount_cents, answer.status, answer.order_id) == (400, OnlinePaymentStatus.PAID, "IDOP1")
    with pytest.raises(online.AnswerRefused):
        online.handle_answer(answer, structure_id=w.a.pk)
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get(pk=online_payment.pk).status == OnlinePaymentStatus.PENDING


def test_pending_to_check_skips_recently_checked(w):
    now = timezone.now()
    online_payment = OnlinePayment.objects.create(
        structure=w.a, family=w.family_a, amount_cents=500, order_id="x1", backend="simulated",
        created_at=now - datetime.timedelta(hours=1), last_checked_at=now - datetime.timedelta(minutes=2),
    )  # fmt: skip
    assert list(online.pending_to_check(now)) == []
    OnlinePayment.objects.filter(pk=online_payment.pk).update(last_checked_at=now - datetime.timedelta(minutes=11))
    assert list(online.pending_to_check(now)) == [online_payment]


def test_a_provider_that_refuses_to_start_is_a_french_refusal_and_no_payment_en_cours(w, monkeypatch):
    def unavailable(self, *args, **kwargs):
        raise payment.PaymentUnavailable("Le paiement en ligne est indisponible pour le moment : réessayez plus tard.")

    monkeypatch.setattr(SimulatedBank, "start", unavailable)
    response = w.client.post(reverse("family:pay"))

    assert response.status_code == 400
    assert "indisponible pour le moment" in page_text(response)
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.ERROR
    assert not online.pending_to_check(timezone.now() + datetime.timedelta(hours=1)).exists()
