"""The simulated bank (portail/simbank, issue 16 point 4) on its own, as a
merchant's bank: it shows only requests the merchant signed, decides each
order once (a double click notifies once), notifies on Payer / Refuser but
not on Abandonner, answers signed status queries, and never gives a 500.
It exists only with DEBUG or in tests (settings.SIMULATED_BANK)."""

import importlib
import urllib.parse

import pytest
from django.test import Client
from django.urls import NoReverseMatch, clear_url_caches, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.lib import signed_fields
from portail.simbank import transport
from tests.helpers import page_text

MERCHANT = "7"
KEY = signed_fields.merchant_key(MERCHANT)


def request_fields(order="20261127aaaa", amount="2340", key=KEY, **changes):
    fields = {
        "merchant": MERCHANT,
        "order": order,
        "amount": amount,
        "label": "Factures F-2026-000012",
        "return_url": "http://testserver/factures/retour/20261127aaaa/",
        "notify_url": "http://testserver/paiement/notification/7/",
    }
    return signed_fields.sign({**fields, **changes}, key)


@pytest.fixture
def sent(monkeypatch):
    """The bank's notifications, captured instead of sent."""
    calls = []

    def capture(url, data, timeout=10):
        calls.append((url, dict(data)))
        return 200, b"OK"

    monkeypatch.setattr(transport, "post", capture)
    return calls


@pytest.fixture
def bank(db, sent):
    from django.core.cache import cache

    cache.clear()
    return Client()


def test_the_bank_shows_a_signed_request_with_its_amount(bank):
    response = bank.get(reverse("simbank:pay"), request_fields())
    text = page_text(response)
    assert response.status_code == 200
    assert "23,40\u00a0€" in text and "Factures F-2026-000012" in text
    for choice in ("Payer", "Refuser", "Abandonner"):
        assert f">{choice}</button>" in text


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({**request_fields(), "amount": "1"}, id="amount-changed"),
        pytest.param({**request_fields(), "return_url": "https://evil.example/"}, id="return-url-changed"),
        pytest.param(request_fields(key=signed_fields.merchant_key("8")), id="another-merchant-key"),
        pytest.param({k: v for k, v in request_fields().items() if k != "signature"}, id="unsigned"),
        pytest.param(request_fields(return_url="javascript:alert(1)"), id="not-a-web-url"),
        pytest.param(request_fields(amount="0"), id="zero"),
    ],
)
def test_an_unsigned_or_tampered_request_is_refused_in_french(bank, sent, fields):
    response = bank.get(reverse("simbank:pay"), fields)
    assert response.status_code == 400
    assert "Demande de paiement invalide" in page_text(response)
    response = bank.post(reverse("simbank:pay"), {**fields, "choice": "payer"})
    assert response.status_code == 400
    assert sent == []


def test_payer_notifies_once_even_for_a_double_click_then_sends_the_parent_back(bank, sent):
    fields = request_fields()
    bank.get(reverse("simbank:pay"), fields)

    first = bank.post(reverse("simbank:pay"), {**fields, "choice": "payer"})
    second = bank.post(reverse("simbank:pay"), {**fields, "choice": "refuser"})

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == fields["return_url"]
    assert len(sent) == 1
    url, notification = sent[0]
    assert url == fields["notify_url"]
    assert (notification["order"], notification["amount"], notification["result"]) == ("20261127aaaa", "2340", "paid")
    assert signed_fields.is_signed(notification, KEY)
    assert "déjà été traité" in page_text(bank.get(reverse("simbank:pay"), fields))


def test_refuser_notifies_a_refusal_and_abandonner_notifies_nothing(bank, sent):
    refused = request_fields(order="20261127bbbb")
    abandoned = request_fields(order="20261127cccc")
    bank.post(reverse("simbank:pay"), {**refused, "choice": "refuser"})
    bank.post(reverse("simbank:pay"), {**abandoned, "choice": "abandonner"})

    assert [(n["order"], n["result"]) for _url, n in sent] == [("20261127bbbb", "refused")]
    assert status(bank, "20261127cccc")["result"] == "abandoned"


def status(client, order, key=KEY):
    query = signed_fields.sign({"merchant": MERCHANT, "order": order}, key)
    response = client.post(reverse("simbank:status"), query)
    assert response.status_code == 200
    answer = dict(urllib.parse.parse_qsl(response.content.decode()))
    assert signed_fields.is_signed(answer, KEY)
    return answer


def test_status_answers_signed_what_became_of_an_order(bank):
    fields = request_fields()
    assert status(bank, fields["order"])["result"] == "unknown"
    bank.get(reverse("simbank:pay"), fields)
    assert status(bank, fields["order"])["result"] == "pending"
    bank.post(reverse("simbank:pay"), {**fields, "choice": "payer"})
    answer = status(bank, fields["order"])
    assert (answer["result"], answer["amount"]) == ("paid", "2340")
    assert answer["transaction"].startswith("SIM")


def test_status_refuses_a_query_signed_with_another_key(bank):
    query = signed_fields.sign({"merchant": MERCHANT, "order": "x"}, signed_fields.merchant_key("8"))
    assert bank.post(reverse("simbank:status"), query).status_code == 400
    assert bank.get(reverse("simbank:status"), {"merchant": "<script>"}).status_code == 400


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(
        st.sampled_from(["merchant", "order", "amount", "label", "return_url", "notify_url", "signature", "choice"]),
        st.one_of(st.text(max_size=300), st.sampled_from(["7", "2340", "payer", "0" * 64, "\x00", "A" * 5000])),
    ),
    method=st.sampled_from(["get", "post"]),
)
def test_hostile_values_are_never_a_500(bank, sent, data, method):
    for name in ("pay", "status"):
        response = getattr(bank, method)(reverse(f"simbank:{name}"), data)
        assert response.status_code in (200, 400), response.status_code
    assert sent == []


def test_no_simulated_bank_without_debug(settings):
    """Production settings (DJANGO_DEBUG=0) never serve the bank."""
    import portail.urls

    settings.SIMULATED_BANK = False
    try:
        clear_url_caches()
        importlib.reload(portail.urls)
        with pytest.raises(NoReverseMatch):
            reverse("simbank:pay")
    finally:
        settings.SIMULATED_BANK = True
        importlib.reload(portail.urls)
        clear_url_caches()
    assert reverse("simbank:pay")
