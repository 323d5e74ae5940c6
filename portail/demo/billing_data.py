"""The demo's money (issue 16 acceptance): prices, quotients familiaux, the
previous month invoiced, some invoices paid, one overdue — so that the whole
circuit can be tried from `make demo`: the family's « Factures » and its
online payment (CarteVille pays through the simulated bank), the staff's
« Facturation » and « Régie » (payments, reminders, exports).

- Billing settings: CarteVille (simulated online payment, 30 days to pay,
  reminders 15 days after), Les Pinsons (no online payment, one day to
  pay, reminders the day after).
- A tariff from the start of the school year for each activity, with four
  brackets by QF (≤ 600, ≤ 1 000, ≤ 1 500, the top one).
- A QF on most families, valid to the end of the school year; DUPONT's of
  CarteVille has expired before the invoiced month (its CAF attestation is the
  missing document of the demo's family file): it pays the top bracket.
- The previous month invoiced through billing.invoicing.issue: CarteVille's
  on the 1st of this month at 08:00 (due in 30 days: DUPONT's stays « à
  payer »; about half of the others paid, by cheque or cash); Les Pinsons'
  on the 1st too, due the next day: all paid (by transfer, cheque) but one
  family's, which is overdue from the 3rd and gets its reminder at the
  worker's first pass. A month is invoiced once it is over, never before.

Made once: a structure whose previous month is invoiced already is left as it
is (`issue` itself would issue nothing twice, but the payments would be).
"""

import datetime
import zlib

from django.utils import timezone

from portail.billing import invoicing, ledger
from portail.billing.models import (
    BillingBasis,
    BillingSettings,
    Invoice,
    InvoiceKind,
    PaymentMethod,
    PriceBracket,
    PriceUnit,
    Tariff,
)
from portail.structures.models import Activity, Family

# Activity code -> (unit, basis, prices in cents for QF ≤ 600, ≤ 1 000, ≤ 1 500, top; 2nd child %, walk-in %).
TARIFFS = {
    "APSM": (PriceUnit.DAY, BillingBasis.BOOKINGS, (120, 160, 200, 240), 0, 20),
    "APSS": (PriceUnit.QUARTER_HOUR, BillingBasis.BOOKINGS, (35, 45, 55, 65), 0, 20),
    "REST": (PriceUnit.DAY, BillingBasis.BOOKINGS, (210, 300, 390, 460), 10, 0),
    "ALSHM": (PriceUnit.DAY, BillingBasis.BOOKINGS, (600, 900, 1200, 1500), 10, 20),
    "ETUDE": (PriceUnit.DAY, BillingBasis.BOOKINGS, (100, 150, 200, 250), 0, 0),
    "REPAS": (PriceUnit.DAY, BillingBasis.CONSUMPTIONS, (320, 350, 380, 420), 0, 0),
}
QF_LIMITS = (600, 1000, 1500, None)
DEMO_QFS = (420, 580, 760, 890, 1150, 1320, 1680, 2100)
# Les Pinsons' invoices are payable the day after they are issued (nearly on
# receipt, as associations often ask): issued on the 1st, once the month is
# over, one of them is overdue from the 3rd, with its reminder to send,
# whatever the day the demo is loaded.
PINSONS_TERMS_DAYS = 1
PINSONS_REMINDER_DAYS = 1

SETTINGS = {
    "Mairie de CarteVille": {
        "legal_name": "Commune de CarteVille — régie enfance",
        "siret": "21750001600019",
        "regie_number": "CV-ENF-01",
        "payment_terms_days": 30,
        "payment_ways": "Paiement en ligne sur le Portail Famille (carte bancaire).\n"
        "Chèque à l'ordre du Trésor public, à déposer en mairie.\n"
        "Espèces ou CESU au guichet de la régie (lundi et jeudi, 8 h 30 – 12 h).",
        "payment_backend": "simulated",
        "reminder_after_days": 15,
    },
    "Accueil de loisirs Les Pinsons": {
        "legal_name": "Association Les Pinsons",
        "siret": "44306184100047",
        "regie_number": "",
        "payment_terms_days": PINSONS_TERMS_DAYS,
        "payment_ways": "Virement (IBAN FR76 3000 4000 0500 0012 3456 789) ou chèque à l'ordre de l'association.",
        "payment_backend": "",
        "reminder_after_days": PINSONS_REMINDER_DAYS,
    },
}


def _settings(structure):
    values = SETTINGS[structure.name]
    return BillingSettings.objects.get_or_create(structure=structure, defaults=values)[0]


def _tariffs(structure, school_start):
    for activity in Activity.objects.filter(structure=structure, code__in=TARIFFS):
        unit, basis, prices, second, walk_in = TARIFFS[activity.code]
        tariff, created = Tariff.objects.get_or_create(
            activity=activity, valid_from=school_start,
            defaults={"unit": unit, "basis": basis, "second_child_reduction_percent": second,
                      "third_child_reduction_percent": second, "walk_in_surcharge_percent": walk_in},
        )  # fmt: skip
        if created:
            PriceBracket.objects.bulk_create(
                PriceBracket(tariff=tariff, qf_max=limit, unit_price_cents=price)
                for limit, price in zip(QF_LIMITS, prices, strict=True)
            )


def _quotients(structure, school_end, expired_until):
    """A QF on most families (not on one in five), set once; DUPONT's expired."""
    for family in Family.objects.filter(structure=structure, quotient_familial=None):
        seed = zlib.crc32(family.reference.encode())
        if family.reference == "DUP001":
            family.quotient_familial, family.qf_valid_until = 880, expired_until
        elif seed % 5 == 0:
            continue  # no attestation given: the top bracket
        else:
            family.quotient_familial, family.qf_valid_until = DEMO_QFS[seed % len(DEMO_QFS)], school_end
        family.save(update_fields=["quotient_familial", "qf_valid_until"])


def _issue_and_pay(structure, month, issued_at, staff, today, *, methods, unpaid):
    """Issue `month`, then pay each invoice in full (the methods in turn) but
    those `unpaid(invoices)` names."""
    invoices = invoicing.issue(structure, month, actor=staff, now=issued_at)
    left_due = unpaid(invoices)
    issued_on = timezone.localtime(issued_at).date()
    for index, invoice in enumerate(invoices):
        if invoice.pk in left_due:
            continue
        method = methods[index % len(methods)]
        ledger.record_payment(
            invoice.family, invoice.total_cents, method, actor=staff,
            received_on=min(issued_on + datetime.timedelta(days=2 + index % 9), today),
            receipt_number="" if method == PaymentMethod.CASH else f"{method[:3].upper()}-{4711 + index}",
        )  # fmt: skip
    return invoices


def _carteville_unpaid(invoices):
    """DUPONT's stays « à payer » (the family's online payment pays it), and every other one."""
    return {i.pk for n, i in enumerate(invoices) if i.family.reference == "DUP001" or n % 2 == 1}


def _pinsons_unpaid(invoices):
    """One family's invoice stays unpaid, past its due date: PETIT's if it has one (not DUPONT's)."""
    candidates = sorted((i for i in invoices if i.family.reference != "P-DUPONT"),
                        key=lambda i: (i.family.reference != "P-PETIT", i.number))  # fmt: skip
    return {candidates[0].pk} if candidates else set()


def load_billing(carteville, pinsons, now, *, staff, school_start, school_end):
    """The demo's money (see the module's docstring); `staff`: structure pk -> its agent."""
    today = timezone.localdate(now)
    current_first = today.replace(day=1)
    previous_first = (current_first - datetime.timedelta(days=1)).replace(day=1)
    for structure in (carteville, pinsons):
        _settings(structure)
        _tariffs(structure, school_start)
        _quotients(structure, school_end, previous_first - datetime.timedelta(days=1))
    if previous_first < school_start:
        return  # the first month of the school year: nothing to invoice yet

    already = set(
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, period_start=previous_first).values_list(
            "structure_id", flat=True
        )
    )
    tz = timezone.get_current_timezone()
    if carteville.pk not in already:
        issued_at = min(datetime.datetime.combine(current_first, datetime.time(8, 0), tzinfo=tz), now)
        _issue_and_pay(
            carteville, previous_first, issued_at, staff[carteville.pk], today,
            methods=[PaymentMethod.CHEQUE, PaymentMethod.CASH, PaymentMethod.CESU], unpaid=_carteville_unpaid,
        )  # fmt: skip
    if pinsons.pk not in already:
        # On the 1st, once the previous month is over (never before: invoicing refuses it).
        issued_at = min(datetime.datetime.combine(current_first, datetime.time(8, 0), tzinfo=tz), now)
        _issue_and_pay(
            pinsons, previous_first, issued_at, staff[pinsons.pk], today,
            methods=[PaymentMethod.TRANSFER, PaymentMethod.CHEQUE], unpaid=_pinsons_unpaid,
        )  # fmt: skip
