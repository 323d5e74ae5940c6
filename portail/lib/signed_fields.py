"""Signed form fields: the protocol of the simulated bank (issue 16 point 4).

The portal (billing) and the simulated bank (simbank) are two parties that
must not import each other: like a merchant and its bank, they share only a
secret and the way a message is signed. Here, in lib, both sides read it.

A message is a flat dict of strings; its signature is an HMAC-SHA256 over the
fields sorted by name (as JSON, empty ones left out), with a key per merchant derived
from settings.SECRET_KEY, so one structure's key never signs another's.
"""

import hmac
import json
from collections.abc import Mapping

from django.utils.crypto import salted_hmac

SIGNATURE = "signature"


def merchant_key(merchant: str) -> str:
    """The secret shared by the portal and the simulated bank for one merchant (a structure)."""
    return salted_hmac("portail.simulated-bank.merchant", merchant, algorithm="sha256").hexdigest()


def _canonical(fields: Mapping[str, str]) -> bytes:
    # JSON of the sorted pairs: no value can pass for another field. An empty
    # field counts as absent (a form parser may drop it on the way).
    pairs = sorted((name, value) for name, value in fields.items() if name != SIGNATURE and value)
    return json.dumps(pairs, ensure_ascii=True).encode()


def sign(fields: Mapping[str, str], key: str) -> dict[str, str]:
    """The fields with their signature added."""
    digest = hmac.new(key.encode(), _canonical(fields), "sha256").hexdigest()
    return {**fields, SIGNATURE: digest}


def is_signed(fields: Mapping[str, str], key: str) -> bool:
    """True when `fields` carries the right signature (compared in constant time)."""
    given = fields.get(SIGNATURE, "")
    expected = hmac.new(key.encode(), _canonical(fields), "sha256").hexdigest()
    return hmac.compare_digest(given.encode(), expected.encode())
