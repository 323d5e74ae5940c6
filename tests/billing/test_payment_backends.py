"""Online payment through eopayment's REAL backends (issue 16 point 4), end to
end through « Payer en ligne » and our notification view
(/paiement/notification/<structure>/), with only the network replaced:

- PayFiP (payfip_ws): its SOAP calls (creerPaiementSecurise,
  recupererDetailPaiementSecurise) answer from the test, as zeep objects of
  the WSDL eopayment ships; everything else is eopayment's code. PayFiP
  notifies `idOp=<id>` (eopayment 3.15 reads only `idop`: both must work);
  the amount is PayFiP's `montant`, checked against ours.
- PayZen / SystemPay: the bank's notification is built here as the bank
  builds it (vads_* fields, signed per the Lyra specification, computed here
  independently of eopayment: SHA-1 of the sorted vads_ values + key, or
  base64 HMAC-SHA-256 with the key), posted to our notification view.

And a paid answer must carry its amount: one without it is refused.
"""

import base64
import datetime
import hashlib
import hmac
import html.parser
import logging
import urllib.parse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from eopayment import payfip_ws

from portail.billing import online
from portail.billing.models import BillingSettings, Invoice, OnlinePayment, OnlinePaymentStatus, Payment
from portail.billing.payment import Answer
from tests.billing.invoice_rows import make_invoice
from tests.helpers import page_text

NOVEMBER = datetime.date(2026, 11, 1)
PAYFIP_DETAIL = "{http://securite.service.tpa.cp.finances.gouv.fr/reponse}RecupererDetailPaiementSecuriseResponse"
SECRET = "cle-de-test-0123456789"


@pytest.fixture
def w(world, client):
    """DUPONT on its CarteVille family with a November invoice of 5,00 € due."""
    world.november = make_invoice(world.family_a, month=NOVEMBER, number=1)
    client.force_login(world.dupont)
    client.post(reverse("family:switch_structure"), {"family": world.family_a.pk})
    world.client = client
    world.notify_url = reverse("billing:notify", args=[world.a.pk])
    return world


def refusals(caplog):
    return [r.getMessage() for r in caplog.records if "notification refused" in r.getMessage()]


def november_due(w):
    w.november.refresh_from_db()
    return w.november.due_cents


# ---------------------------------------------------------------------------
# A paid answer without its amount (every provider).
# ---------------------------------------------------------------------------


@pytest.fixture
def pending(w):
    online_payment = OnlinePayment.objects.create(
        structure=w.a, family=w.family_a, amount_cents=500, order_id="20261127aaaa", backend="simulated"
    )
    online_payment.invoices.set([w.november])
    return online_payment


def test_a_paid_answer_without_its_amount_is_refused_logged_and_records_nothing(w, pending, caplog):
    answer = Answer(pending.order_id, "T1", None, OnlinePaymentStatus.PAID, signed=True)

    with caplog.at_level(logging.WARNING), pytest.raises(online.AnswerRefused, match="without an amount"):
        online.handle_answer(answer, structure_id=w.a.pk)

    assert not Payment.objects.exists()
    pending.refresh_from_db()
    assert (pending.status, pending.last_checked_at, pending.payment) == (OnlinePaymentStatus.PENDING, None, None)
    assert november_due(w) == 500


@pytest.mark.parametrize("status", [OnlinePaymentStatus.REFUSED, OnlinePaymentStatus.ABANDONED])
def test_an_answer_that_is_not_a_payment_needs_no_amount(w, pending, status):
    answer = Answer(pending.order_id, "T1", None, status, signed=True)

    assert online.handle_answer(answer, structure_id=w.a.pk).status == status
    assert not Payment.objects.exists()


def test_the_status_check_of_a_paid_payment_without_amount_leaves_it_en_cours(w, pending, monkeypatch, caplog):
    """The return page and the worker ask the provider: same rule, logged, still « en cours »."""
    from portail.billing.payment import SimulatedBank

    BillingSettings.objects.create(structure=w.a, payment_backend="simulated")
    monkeypatch.setattr(
        SimulatedBank, "status", lambda self, op: Answer(op.order_id, "T1", None, OnlinePaymentStatus.PAID, True)
    )

    with caplog.at_level(logging.WARNING):
        assert online.check_status(pending).status == OnlinePaymentStatus.PENDING

    assert not Payment.objects.exists()
    assert any("without an amount" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------------------
# PayFiP (payfip_ws), its SOAP web service answered by the test.
# ---------------------------------------------------------------------------


class PayFiPService:
    """What PayFiP's web service answers: an operation id per
    creerPaiementSecurise, and for recupererDetailPaiementSecurise the
    transaction's detail (a zeep object of eopayment's own WSDL), set by the
    test in `results` (resultrans, montant) once the parent has paid."""

    def __init__(self):
        self.created = []  # the creerPaiementSecurise requests
        self.asked = []  # the operation ids asked about
        self.results = {}  # idop -> {"resultrans": ..., "montant": ...}

    def get_idop(self, numcli, saisie, exer, refdet, montant, mel, url_notification, url_redirect, objet=None,
                 timeout=None):  # fmt: skip
        idop = f"0f1e2d3c-4b5a-6978-8a9b-{len(self.created) + 1:012d}"
        self.created.append(
            {"idop": idop, "numcli": numcli, "saisie": saisie, "exer": exer, "refdet": refdet, "montant": montant,
             "mel": mel, "urlnotif": url_notification, "urlredirect": url_redirect, "objet": objet}
        )  # fmt: skip
        return idop

    def get_info_paiement(self, idop, timeout=None):
        self.asked.append(idop)
        request = next((r for r in self.created if r["idop"] == idop), None)
        if request is None:
            raise payfip_ws.PayFiPError("P1", "IdOp incorrect.")
        if idop not in self.results:
            raise payfip_ws.PayFiPError("P5", "Résultat de la transaction non connu.")
        paid_at = timezone.localtime()
        detail = payfip_ws.PayFiP().client.get_type(PAYFIP_DETAIL)
        return detail(
            dattrans=f"{paid_at:%d%m%Y}", heurtrans=f"{paid_at:%H%M}", exer=request["exer"], idOp=idop,
            mel=request["mel"], numauto="112233", numcli=request["numcli"], objet=request["objet"],
            refdet=request["refdet"], saisie=request["saisie"],
            **{"montant": request["montant"], **self.results[idop]},
        )  # fmt: skip


@pytest.fixture
def payfip(w, monkeypatch):
    BillingSettings.objects.create(
        structure=w.a, payment_backend="payfip_ws", payment_options={"numcli": "123456", "saisie": "T"}
    )
    service = PayFiPService()
    monkeypatch.setattr(payfip_ws.PayFiP, "get_idop", lambda self, **kw: service.get_idop(**kw))
    monkeypatch.setattr(
        payfip_ws.PayFiP, "get_info_paiement", lambda self, idop, timeout=None: service.get_info_paiement(idop)
    )
    return service


def pay_with_payfip(w, payfip):
    """« Payer en ligne »: the parent is sent to PayFiP with the operation id PayFiP gave."""
    response = w.client.post(reverse("family:pay"))
    assert response.status_code == 302, page_text(response)
    (request,) = payfip.created
    assert response["Location"] == f"{payfip_ws.PAYMENT_URL}?idop={request['idop']}"
    assert (request["montant"], request["numcli"], request["mel"]) == ("500", "123456", w.dupont.email)
    assert request["urlnotif"] == "http://testserver" + w.notify_url
    return request["idop"]


def payfip_notifies(w, *, body=None, query=None):
    if body is not None:
        return Client().post(w.notify_url, body, content_type="application/x-www-form-urlencoded")
    return Client().get(f"{w.notify_url}?{query}")


def test_payfip_notification_idOp_records_one_payment_and_the_lowercase_form_is_read_too(w, payfip):
    idop = pay_with_payfip(w, payfip)
    payfip.results[idop] = {"resultrans": "P"}

    first = payfip_notifies(w, body=f"idOp={idop}")  # what PayFiP posts
    again = payfip_notifies(w, query=f"idop={idop}")  # the same answer, eopayment's casing

    assert (first.status_code, again.status_code) == (200, 200)
    assert payfip.asked == [idop, idop]  # PayFiP's web service was asked, the notification itself not trusted
    payment = Payment.objects.get()
    assert (payment.family, payment.amount_cents, payment.method) == (w.family_a, 500, "online")
    online_payment = OnlinePayment.objects.get()
    assert (online_payment.status, online_payment.payment) == (OnlinePaymentStatus.PAID, payment)
    assert online_payment.transaction_id == idop
    assert november_due(w) == 0


def test_a_payfip_answer_for_another_montant_is_refused(w, payfip, caplog):
    idop = pay_with_payfip(w, payfip)
    payfip.results[idop] = {"resultrans": "P", "montant": "400"}

    with caplog.at_level(logging.WARNING):
        response = payfip_notifies(w, body=f"idOp={idop}")

    assert response.status_code == 400
    assert payfip.asked == [idop]
    assert any("amount 400 instead of 500" in message for message in refusals(caplog)), refusals(caplog)
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING
    assert november_due(w) == 500


def test_a_payfip_refusal_leaves_the_invoice_due(w, payfip):
    idop = pay_with_payfip(w, payfip)
    payfip.results[idop] = {"resultrans": "R"}

    response = payfip_notifies(w, body=f"idOp={idop}")

    assert response.status_code == 200
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.REFUSED
    assert not Payment.objects.exists()
    assert november_due(w) == 500
    back = w.client.get(reverse("family:payment_return", args=[OnlinePayment.objects.get().order_id]), follow=True)
    assert "Le paiement a été refusé par la banque : votre facture reste à payer." in page_text(back)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("idOp={idop}&idop=0f1e2d3c-4b5a-6978-8a9b-000000000099", id="two-different-ids"),
        pytest.param("idOp=", id="empty"),
        pytest.param("idop={idop}%0A%3Cscript%3E", id="malformed"),
        pytest.param("idop=" + "1" * 65, id="too-long"),
        pytest.param("numcli=123456", id="no-id"),
    ],
)
def test_a_payfip_notification_without_one_well_formed_id_is_refused_without_asking_payfip(w, payfip, body):
    idop = pay_with_payfip(w, payfip)
    payfip.results[idop] = {"resultrans": "P"}

    response = payfip_notifies(w, body=body.format(idop=idop))

    assert response.status_code == 400
    assert payfip.asked == []
    assert not Payment.objects.exists()


# ---------------------------------------------------------------------------
# PayZen and SystemPay: the bank's signed vads_* notification.
# ---------------------------------------------------------------------------


def lyra_signature(fields, key, algorithm):
    """The signature of a PayZen / SystemPay form or notification (Lyra's
    specification): the values of the vads_* fields sorted by name, joined by
    '+', then '+' and the key; SHA-1 in hex, or HMAC-SHA-256 (keyed with the
    key) in base64."""
    message = "+".join(fields[name] for name in sorted(fields) if name.startswith("vads_")) + "+" + key
    if algorithm == "sha1":
        return hashlib.sha1(message.encode()).hexdigest()  # noqa: S324 (the bank's algorithm)
    digest = hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class HiddenFields(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.form_action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("action", "").startswith("https://"):
            self.form_action = attrs["action"]
        if tag == "input" and attrs.get("type") == "hidden" and attrs.get("name") != "csrfmiddlewaretoken":
            self.fields[attrs["name"]] = attrs["value"]


@pytest.fixture(
    params=[
        pytest.param(("payzen", "hmac_sha256", "https://secure.payzen.eu/vads-payment/"), id="payzen-hmac-sha256"),
        pytest.param(("systempayv2", "sha1", "https://paiement.systempay.fr/vads-payment/"), id="systempay-sha1"),
    ]
)
def lyra(request, w):
    backend, algorithm, service_url = request.param
    BillingSettings.objects.create(
        structure=w.a,
        payment_backend=backend,
        payment_options={"site_id": "12345678", "secret_test": SECRET, "ctx_mode": "TEST", "signature_algo": algorithm},
    )
    return {"algorithm": algorithm, "service_url": service_url}


def pay_with_lyra(w, lyra):
    """« Payer en ligne »: the page whose form the parent posts to the bank; its fields, signature checked."""
    response = w.client.post(reverse("family:pay"))
    assert response.status_code == 200, page_text(response)
    form = HiddenFields()
    form.feed(page_text(response))
    assert form.form_action == lyra["service_url"]
    assert form.fields["signature"] == lyra_signature(form.fields, SECRET, lyra["algorithm"])
    assert (form.fields["vads_amount"], form.fields["vads_currency"]) == ("500", "978")
    return form.fields


def bank_notification(request_fields, lyra, *, result="00", sign=True, **changes):
    """The bank's server-to-server notification (IPN) of the request, as the bank sends it."""
    now = timezone.now()
    fields = {
        name: request_fields[name]
        for name in ("vads_site_id", "vads_ctx_mode", "vads_trans_id", "vads_trans_date", "vads_amount",
                     "vads_currency", "vads_order_id", "vads_version", "vads_payment_config", "vads_action_mode",
                     "vads_page_action", "vads_capture_delay", "vads_validation_mode")
    }  # fmt: skip
    fields.update(
        vads_result=result, vads_auth_result=result, vads_extra_result="", vads_auth_mode="FULL",
        vads_auth_number="3fb0de" if result == "00" else "", vads_effective_amount=request_fields["vads_amount"],
        vads_trans_status="AUTHORISED" if result == "00" else "REFUSED", vads_card_brand="CB",
        vads_card_number="497010XXXXXX0014", vads_expiry_month="6", vads_expiry_year="2028",
        vads_payment_certificate="a1b2c3d4e5f6" if result == "00" else "", vads_url_check_src="PAY",
        vads_operation_type="DEBIT", vads_effective_creation_date=f"{now:%Y%m%d%H%M%S}",
        vads_trans_uuid="6b1ee3a1f6e44a3a9d4c3b8b2a1f0e9d", vads_hash="0" * 64,
    )  # fmt: skip
    fields.update(changes)
    fields = {name: value for name, value in fields.items() if value is not None}
    if sign:
        fields["signature"] = lyra_signature(fields, SECRET, lyra["algorithm"])
    return fields


def lyra_notifies(w, fields):
    return Client().post(w.notify_url, urllib.parse.urlencode(fields), content_type="application/x-www-form-urlencoded")


def test_a_paid_lyra_notification_records_one_payment_even_sent_twice(w, lyra):
    notification = bank_notification(pay_with_lyra(w, lyra), lyra)

    assert lyra_notifies(w, notification).status_code == 200
    assert lyra_notifies(w, notification).status_code == 200

    payment = Payment.objects.get()
    assert (payment.family, payment.amount_cents, payment.method) == (w.family_a, 500, "online")
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PAID
    assert november_due(w) == 0


def test_a_lyra_notification_for_another_amount_signed_over_it_is_refused_by_our_amount_check(w, lyra, caplog):
    notification = bank_notification(pay_with_lyra(w, lyra), lyra, vads_amount="400", vads_effective_amount="400")

    with caplog.at_level(logging.WARNING):
        response = lyra_notifies(w, notification)

    assert response.status_code == 400
    assert any("amount 400 instead of 500" in message for message in refusals(caplog)), refusals(caplog)
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda fields: {**fields, "vads_amount": "1"}, id="amount-changed-after-signing"),
        pytest.param(lambda fields: {**fields, "signature": fields["signature"][::-1]}, id="bad-signature"),
        pytest.param(lambda fields: {k: v for k, v in fields.items() if k != "vads_trans_status"}, id="field-removed"),
    ],
)
def test_a_lyra_notification_with_a_bad_signature_is_refused(w, lyra, caplog, forge):
    notification = forge(bank_notification(pay_with_lyra(w, lyra), lyra))

    with caplog.at_level(logging.WARNING):
        response = lyra_notifies(w, notification)

    assert response.status_code == 400
    assert any("unsigned answer" in message for message in refusals(caplog)), refusals(caplog)
    assert not Payment.objects.exists()
    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.PENDING


def test_a_paid_lyra_notification_without_its_amount_is_refused(w, lyra, caplog):
    notification = bank_notification(pay_with_lyra(w, lyra), lyra, vads_amount=None, vads_effective_amount=None)

    with caplog.at_level(logging.WARNING):
        response = lyra_notifies(w, notification)

    assert response.status_code == 400
    assert any("without an amount" in message for message in refusals(caplog)), refusals(caplog)
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=w.november.pk).due_cents == 500


def test_a_refused_lyra_notification_leaves_the_invoice_due(w, lyra):
    notification = bank_notification(pay_with_lyra(w, lyra), lyra, result="05")

    assert lyra_notifies(w, notification).status_code == 200

    assert OnlinePayment.objects.get().status == OnlinePaymentStatus.REFUSED
    assert not Payment.objects.exists()
    assert november_due(w) == 500


# ---------------------------------------------------------------------------
# TIPI's former interface: its notifications are not signed.
# ---------------------------------------------------------------------------


def test_tipi_is_not_offered_its_unsigned_notification_cannot_record_a_payment(w):
    """eopayment's tipi backend reports any `refdet=…&resultrans=P&montant=…`
    query string as signed: a parent who read the order's reference in the
    bank's URL could post « paid » for free. A structure still set to tipi
    gets no online payment and no notification is read."""
    BillingSettings.objects.create(structure=w.a, payment_backend="tipi", payment_options={"numcli": "123456"})
    online_payment = OnlinePayment.objects.create(
        structure=w.a, family=w.family_a, amount_cents=500, order_id="2026112784762f3a7e21df476f42", backend="tipi"
    )
    online_payment.invoices.set([w.november])

    refused = w.client.post(reverse("family:pay"))
    forged = Client().post(
        w.notify_url,
        f"refdet={online_payment.order_id}&resultrans=P&montant=500",
        content_type="application/x-www-form-urlencoded",
    )

    assert refused.status_code == 400 and "n'est pas proposé" in page_text(refused)
    assert forged.status_code == 404
    assert not Payment.objects.exists()
    assert november_due(w) == 500


def test_a_payfip_notification_about_an_operation_not_started_here_never_reaches_payfip(w, payfip, caplog):
    """Anyone can post a well-formed idOp to the notification URL: PayFiP's web
    service is only asked about an operation this structure started."""
    idop = pay_with_payfip(w, payfip)
    payfip.results[idop] = {"resultrans": "P"}

    with caplog.at_level(logging.WARNING):
        stranger = payfip_notifies(w, body="idOp=0f1e2d3c-4b5a-6978-8a9b-000000000042")
        other_structure = Client().post(
            reverse("billing:notify", args=[w.b.pk]), f"idOp={idop}", content_type="application/x-www-form-urlencoded"
        )

    assert stranger.status_code == 400
    assert other_structure.status_code in (400, 404)
    assert payfip.asked == []
    assert any("not started here" in message for message in refusals(caplog)), refusals(caplog)
    assert not Payment.objects.exists()
