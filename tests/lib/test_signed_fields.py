"""The simulated bank's signature (portail/lib/signed_fields.py): what a
signature covers, and what no forger can move around."""

from portail.lib import signed_fields


def test_a_signature_covers_every_field_and_the_merchant():
    key = signed_fields.merchant_key("1")
    signed = signed_fields.sign({"order": "A1", "amount": "2340"}, key)
    assert signed_fields.is_signed(signed, key)
    assert not signed_fields.is_signed({**signed, "amount": "2341"}, key)
    assert not signed_fields.is_signed({**signed, "extra": "1"}, key)
    assert not signed_fields.is_signed(signed, signed_fields.merchant_key("2"))
    assert signed_fields.merchant_key("1") != signed_fields.merchant_key("2")


def test_a_value_cannot_pass_for_another_field():
    key = signed_fields.merchant_key("1")
    signed = signed_fields.sign({"label": 'x", "amount', "order": "A1"}, key)
    moved = {"label": "x", "amount": "", "order": "A1", "signature": signed["signature"]}
    assert not signed_fields.is_signed(moved, key)


def test_an_empty_field_counts_as_absent():
    key = signed_fields.merchant_key("1")
    signed = signed_fields.sign({"order": "A1", "transaction": ""}, key)
    assert signed_fields.is_signed({"order": "A1", "signature": signed["signature"]}, key)


def test_a_missing_or_malformed_signature_is_refused():
    key = signed_fields.merchant_key("1")
    assert not signed_fields.is_signed({"order": "A1"}, key)
    assert not signed_fields.is_signed({"order": "A1", "signature": "é" * 64}, key)
