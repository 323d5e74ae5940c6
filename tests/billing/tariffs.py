"""Prices for the billing engine's tests: a tariff with its brackets in one call."""

import datetime

from portail.billing.models import PriceBracket, Tariff

NOVEMBER = datetime.date(2026, 11, 1)


def make_tariff(activity, brackets, *, valid_from=datetime.date(2026, 9, 1), **fields):
    """A tariff of `activity` from `valid_from` with `brackets`: {qf_max or None: price in cents}."""
    tariff = Tariff.objects.create(activity=activity, valid_from=valid_from, **fields)
    PriceBracket.objects.bulk_create(
        PriceBracket(tariff=tariff, qf_max=qf_max, unit_price_cents=price) for qf_max, price in brackets.items()
    )
    return tariff
