"""What billing says when a family is about to be anonymised (issue 17 point
6): nobody can be asked to pay an anonymous invoice, and nobody can refund an
anonymous family its credit or the online payment still « en cours »."""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portail.billing import ledger, money
from portail.billing.models import Invoice, InvoiceKind, OnlinePayment, OnlinePaymentStatus
from portail.structures.models import Family


def anonymisation_obstacles(sender=None, family: Family | None = None, **kwargs) -> list[str]:
    """structures.signals.family_anonymisation_obstacles receiver: the
    invoices left to pay and the online payments not answered yet."""
    if family is None:
        return []
    reasons = []
    due = Invoice.objects.filter(family=family, kind=InvoiceKind.INVOICE, settled_cents__lt=F("total_cents")).count()
    if due:
        reasons.append(
            ngettext("Il reste %(count)d facture à payer.", "Il reste %(count)d factures à payer.", due)
            % {"count": due}
        )
    pending = OnlinePayment.objects.filter(family=family, status=OnlinePaymentStatus.PENDING).count()
    if pending:
        reasons.append(
            ngettext(
                "Un paiement en ligne attend la réponse de la banque : attendez-la.",
                "%(count)d paiements en ligne attendent la réponse de la banque : attendez-la.",
                pending,
            )
            % {"count": pending}
        )
    return reasons


def anonymisation_warnings(sender=None, family: Family | None = None, **kwargs) -> list[str]:
    """structures.signals.family_anonymisation_warnings receiver: the
    family's credit. Refunds are made by the town's accountant (a mandat of
    the Trésor public), outside the portal, so it cannot block; staff are told
    before the family's name and address are gone."""
    if family is None:
        return []
    credit = ledger.credit_cents(family)
    if credit <= 0:
        return []
    return [
        _(
            "La famille a un crédit de %(amount)s. Une fois anonymisée, elle ne pourra plus être retrouvée "
            "pour le lui rembourser : si elle y a droit, faites le remboursement d'abord."
        )
        % {"amount": money.euros(credit)}
    ]
