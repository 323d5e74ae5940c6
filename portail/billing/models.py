"""Money (issue 16): prices, invoices and credit notes, payments.

Amounts are integer cents everywhere (`*_cents`), never floats; the rounding
rules live in `billing.money`. An issued invoice is immutable: it is corrected
by a credit note (an Invoice of kind CREDIT_NOTE whose `corrects` is the
invoice), never edited. Numbers have no gap per structure, kind and year
(`InvoiceSequence`, taken under a row lock in the issuing transaction).

A family's balance = invoices − credit notes − payments not cancelled
(positive: the family owes; negative: a credit). Payments are allotted to the
oldest invoices due (`Allocation`); what is not allotted stays as the
family's credit.
"""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.lib.validators import validate_date_window, validate_multiline, validate_single_line

MAX_CENTS = 100_000_000  # one million euros: no single amount of a family portal is above


class PriceUnit(models.TextChoices):
    DAY = "day", _("par jour ou séance")
    QUARTER_HOUR = "quarter", _("par quart d'heure commencé")
    HOUR = "hour", _("par heure commencée")


class BillingBasis(models.TextChoices):
    BOOKINGS = "bookings", _("les réservations")
    CONSUMPTIONS = "consumptions", _("les présences (appel)")


class Tariff(models.Model):
    """An activity's prices from a date (point 1): a new rate on 1 September
    never changes what was billed before it."""

    activity = models.ForeignKey(
        "structures.Activity", on_delete=models.CASCADE, related_name="tariffs", verbose_name=_("activité")
    )
    valid_from = models.DateField(_("valable à partir du"), validators=[validate_date_window])
    unit = models.CharField(_("unité"), max_length=8, choices=PriceUnit.choices, default=PriceUnit.DAY)
    basis = models.CharField(
        _("facturer"), max_length=12, choices=BillingBasis.choices, default=BillingBasis.BOOKINGS,
        help_text=_(
            "Les réservations : ce que la famille a réservé, venu ou non (sauf absence justifiée), "
            "et les annulations hors délai. Les présences : ce que l'appel a enregistré."
        ),
    )  # fmt: skip
    # A child present (roll call) without a booking: the unit price plus this.
    walk_in_surcharge_percent = models.PositiveSmallIntegerField(
        _("majoration d'une présence sans réservation (%)"), default=0, validators=[MaxValueValidator(1000)]
    )
    # Reductions for the family's 2nd / 3rd and following children booked the
    # same day on this activity (children ordered by birth date, eldest first).
    second_child_reduction_percent = models.PositiveSmallIntegerField(
        _("réduction 2e enfant (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    third_child_reduction_percent = models.PositiveSmallIntegerField(
        _("réduction 3e enfant et suivants (%)"), default=0, validators=[MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("tarif")
        verbose_name_plural = _("tarifs")
        ordering = ["activity", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["activity", "valid_from"], name="one_tariff_per_activity_date")]

    def __str__(self):
        return f"{self.activity} — {self.valid_from:%d/%m/%Y}"


class PriceBracket(models.Model):
    """One price of a tariff by quotient familial: applies to a QF up to
    `qf_max` (included); the bracket without `qf_max` is the top one, paid by
    a family without a valid QF."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="brackets", verbose_name=_("tarif"))
    qf_max = models.PositiveIntegerField(
        _("QF jusqu'à"), null=True, blank=True, validators=[MaxValueValidator(100_000)],
        help_text=_("Laisser vide pour la tranche la plus haute (familles sans quotient familial valable)."),
    )  # fmt: skip
    unit_price_cents = models.PositiveIntegerField(
        _("prix unitaire (centimes)"), validators=[MaxValueValidator(MAX_CENTS)]
    )

    class Meta:
        verbose_name = _("tranche de prix")
        verbose_name_plural = _("tranches de prix")
        ordering = ["tariff", models.F("qf_max").asc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "qf_max"], name="one_bracket_per_qf_max"),
            models.UniqueConstraint(fields=["tariff"], condition=Q(qf_max=None), name="one_top_bracket"),
        ]

    def __str__(self):
        return f"{self.tariff} ≤ {self.qf_max}" if self.qf_max is not None else f"{self.tariff} (tranche haute)"


class BillingSettings(models.Model):
    """What a structure prints on its invoices and how it is paid (points 2, 4, 5)."""

    structure = models.OneToOneField(
        "structures.Structure", on_delete=models.CASCADE, related_name="billing", verbose_name=_("structure")
    )
    legal_name = models.CharField(_("raison sociale"), max_length=200, blank=True, validators=[validate_single_line])
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_single_line])
    regie_number = models.CharField(_("numéro de régie"), max_length=50, blank=True, validators=[validate_single_line])
    payment_terms_days = models.PositiveSmallIntegerField(
        _("échéance (jours après émission)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    payment_ways = models.TextField(
        _("moyens de paiement"), blank=True, validators=[validate_multiline],
        help_text=_("Imprimé sur les factures : paiement en ligne, chèque à l'ordre de…, espèces, CESU…"),
    )  # fmt: skip
    # Online payment (point 4): an eopayment backend ("payfip_ws", "payzen",
    # "sips2"…) or the local simulated bank ("simulated"); empty: no online payment.
    payment_backend = models.CharField(_("paiement en ligne"), max_length=20, blank=True)
    payment_options = models.JSONField(_("paramètres du paiement en ligne"), default=dict, blank=True)
    # Reminders (point 5): an e-mail this many days after the due date.
    reminder_after_days = models.PositiveSmallIntegerField(
        _("relance après (jours de retard)"), default=15, validators=[MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("paramètres de facturation")
        verbose_name_plural = _("paramètres de facturation")

    def __str__(self):
        return str(self.structure)


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Facture")
    CREDIT_NOTE = "credit", _("Avoir")


class InvoiceSequence(models.Model):
    """The last number given per structure, kind and year: read and raised
    under its row lock (select_for_update) in the transaction that issues, so
    numbers have neither gap nor duplicate, even for two issuers at once."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    kind = models.CharField(max_length=8, choices=InvoiceKind.choices, verbose_name=_("type"))
    year = models.PositiveSmallIntegerField(verbose_name=_("année"))
    last_number = models.PositiveIntegerField(default=0, verbose_name=_("dernier numéro"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["structure", "kind", "year"], name="one_sequence_per_year")]

    def __str__(self):
        return f"{self.structure_id} {self.kind} {self.year}: {self.last_number}"


class Invoice(models.Model):
    """An issued invoice or credit note: immutable once written (no update
    path but the allocations of payments and the RGPD anonymisation of the
    family's name)."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("structure")
    )
    family = models.ForeignKey(
        "structures.Family", on_delete=models.PROTECT, related_name="invoices", verbose_name=_("famille")
    )
    kind = models.CharField(_("type"), max_length=8, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    year = models.PositiveSmallIntegerField(_("année"))
    number = models.PositiveIntegerField(_("numéro"))
    # "F-2026-000123" / "A-2026-000004": the reference to quote when paying.
    reference = models.CharField(_("référence"), max_length=30)
    period_start = models.DateField(_("période du"))
    period_end = models.DateField(_("période au"))
    issued_at = models.DateTimeField(_("émise le"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("émise par"),
    )  # fmt: skip
    due_date = models.DateField(_("à payer avant le"))
    # The sum of the lines (a credit note's total is positive too: it is
    # subtracted from the balance by its kind).
    total_cents = models.IntegerField(_("total (centimes)"))
    # What was printed, kept as issued (the family may move or be renamed).
    family_name = models.CharField(_("famille (à l'émission)"), max_length=250)
    family_address = models.TextField(_("adresse (à l'émission)"), blank=True)
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_notes",
        verbose_name=_("avoir sur la facture"),
    )  # fmt: skip
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    # The part of the total paid or covered (allocations, credit notes): kept
    # with them in the same transaction; settled when it reaches the total.
    settled_cents = models.IntegerField(_("réglé (centimes)"), default=0)
    emailed_at = models.DateTimeField(_("annoncée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "kind", "year", "number"], name="invoice_number_unique"),
            # Issuing a month twice issues once (point 2, acceptance).
            models.UniqueConstraint(
                fields=["family", "period_start"], condition=Q(kind="invoice"), name="one_invoice_per_family_month"
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects=None) | Q(kind="credit") & ~Q(corrects=None),
                name="credit_note_corrects_an_invoice",
            ),
        ]
        indexes = [models.Index(fields=["family", "kind", "due_date"], name="invoice_family_due")]

    def __str__(self):
        return self.reference

    @property
    def due_cents(self) -> int:
        return self.total_cents - self.settled_cents if self.kind == InvoiceKind.INVOICE else 0


class InvoiceLine(models.Model):
    """child, activity, quantity × unit price, the dates (point 2). A
    reduction or a surcharge is a line of its own with its label."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("facture"))
    child = models.ForeignKey(
        "structures.Child", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("enfant")
    )
    activity = models.ForeignKey(
        "structures.Activity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activité"),
    )
    child_name = models.CharField(_("enfant"), max_length=250, blank=True)
    label = models.CharField(_("libellé"), max_length=250)
    dates = models.JSONField(_("jours"), default=list)  # ISO dates, in order
    quantity = models.PositiveIntegerField(_("quantité"))
    unit_price_cents = models.IntegerField(_("prix unitaire (centimes)"))
    amount_cents = models.IntegerField(_("montant (centimes)"))

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["invoice", "id"]

    def __str__(self):
        return self.label


class PaymentMethod(models.TextChoices):
    ONLINE = "online", _("Paiement en ligne")
    CHEQUE = "cheque", _("Chèque")
    CASH = "cash", _("Espèces")
    CESU = "cesu", _("CESU")
    TRANSFER = "transfer", _("Virement")


class Payment(models.Model):
    """Money received from a family (point 5), allotted to its oldest invoices
    due; the rest stays as the family's credit."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.PROTECT, related_name="payments", verbose_name=_("structure")
    )
    family = models.ForeignKey(
        "structures.Family", on_delete=models.PROTECT, related_name="payments", verbose_name=_("famille")
    )
    amount_cents = models.PositiveIntegerField(
        _("montant (centimes)"), validators=[MinValueValidator(1), MaxValueValidator(MAX_CENTS)]
    )
    method = models.CharField(_("moyen"), max_length=10, choices=PaymentMethod.choices)
    receipt_number = models.CharField(_("n° de reçu"), max_length=50, blank=True, validators=[validate_single_line])
    received_on = models.DateField(_("reçu le"), default=datetime.date.today, validators=[validate_date_window])
    recorded_at = models.DateTimeField(_("saisi le"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("saisi par"),
    )  # fmt: skip
    note = models.CharField(_("remarque"), max_length=200, blank=True, validators=[validate_single_line])
    # A payment typed by mistake at the régie is cancelled, never deleted (the
    # accounts and the exports keep it): it then counts for nothing
    # (ledger.cancel_payment; only a payment recorded at the desk, not online).
    cancelled_at = models.DateTimeField(_("annulé le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("annulé par"),
    )  # fmt: skip
    cancellation_reason = models.CharField(
        _("motif de l'annulation"), max_length=200, blank=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["-recorded_at"]

    def __str__(self):
        return f"{self.get_method_display()} {self.amount_cents / 100:.2f} €"


class Allocation(models.Model):
    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="allocations", verbose_name=_("paiement")
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("facture")
    )
    amount_cents = models.PositiveIntegerField(verbose_name=_("montant (centimes)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["payment", "invoice"], name="one_allocation_per_pair")]

    def __str__(self):
        return f"{self.payment_id} → {self.invoice_id}"


class OnlinePaymentStatus(models.TextChoices):
    PENDING = "pending", _("En cours")
    PAID = "paid", _("Payé")
    REFUSED = "refused", _("Refusé")
    ABANDONED = "abandoned", _("Abandonné")
    ERROR = "error", _("Erreur")


class OnlinePayment(models.Model):
    """A payment asked of the provider (point 4). Only the provider's answer
    (its server-to-server notification, or a status check) changes it; the
    parent's return alone never marks it paid. `payment` is set once, by the
    first answer that says paid (a unique one-to-one: a second notification,
    even at the same time, records nothing)."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.PROTECT, related_name="+", verbose_name=_("structure")
    )
    family = models.ForeignKey(
        "structures.Family", on_delete=models.PROTECT, related_name="online_payments", verbose_name=_("famille")
    )
    invoices = models.ManyToManyField(Invoice, related_name="online_payments", verbose_name=_("factures"))
    amount_cents = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CENTS)], verbose_name=_("montant (centimes)")
    )
    # Ours, sent to the provider and checked on its answer.
    order_id = models.CharField(max_length=64, unique=True, verbose_name=_("référence de la commande"))
    # The provider's id of the transaction (eopayment's transaction_id).
    transaction_id = models.CharField(
        max_length=128, blank=True, db_index=True, verbose_name=_("référence de la banque")
    )
    backend = models.CharField(max_length=20, verbose_name=_("prestataire"))
    status = models.CharField(
        max_length=10, choices=OnlinePaymentStatus.choices, default=OnlinePaymentStatus.PENDING, verbose_name=_("état")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("commencé le"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("commencé par")
    )
    answered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("réponse le"))
    last_checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("vérifié le"))
    bank_data = models.JSONField(default=dict, blank=True, verbose_name=_("données de la banque"))
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment",
        verbose_name=_("paiement"),
    )

    class Meta:
        verbose_name = _("paiement en ligne")
        verbose_name_plural = _("paiements en ligne")
        ordering = ["-created_at"]

    def __str__(self):
        return self.order_id


class Reminder(models.Model):
    """A reminder of an overdue invoice (point 5): level 1 an e-mail, level 2
    on the list to print."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("facture"))
    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(2)], verbose_name=_("niveau")
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("le"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "level"], name="one_reminder_per_level")]

    def __str__(self):
        return f"{self.invoice} ({self.level})"
