"""What the simulated bank reads from a request: one Form per endpoint, with ranges."""

import urllib.parse

from django import forms

MAX_AMOUNT_CENTS = 100_000_000


def _validate_url(value):
    # The merchant's own addresses (signed with its key): an http(s) URL with a
    # host is enough; Django's URLValidator would refuse a host without a dot.
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        raise forms.ValidationError("invalid") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c in value for c in "\r\n\x00 "):
        raise forms.ValidationError("invalid")


_URL = [_validate_url]


class StatusForm(forms.Form):
    """The merchant asks about one of its orders (server to server)."""

    merchant = forms.RegexField(regex=r"\A[A-Za-z0-9_-]{1,40}\Z", strip=False)
    order = forms.RegexField(regex=r"\A[A-Za-z0-9_-]{1,64}\Z", strip=False)
    signature = forms.RegexField(regex=r"\A[0-9a-f]{64}\Z", strip=False)


class PaymentRequestForm(StatusForm):
    """A merchant's payment request, signed: the parent's browser carries it."""

    amount = forms.RegexField(regex=r"\A[1-9][0-9]{0,8}\Z", strip=False)
    label = forms.CharField(max_length=300, required=False, strip=False)
    return_url = forms.CharField(max_length=1000, strip=False, validators=_URL)
    notify_url = forms.CharField(max_length=1000, strip=False, validators=_URL)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if int(amount) > MAX_AMOUNT_CENTS:
            raise forms.ValidationError("invalid")
        return amount


class DecisionForm(PaymentRequestForm):
    """The parent's choice on the bank's page."""

    choice = forms.ChoiceField(choices=[("payer", "payer"), ("refuser", "refuser"), ("abandonner", "abandonner")])
