"""Prices and billing settings in the back office (issue 16 points 1 and 2),
scoped per structure like every other screen: staff see and choose only
their structures' activities."""

from django import forms
from django.contrib import admin
from django.core.validators import MaxValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portail.billing.models import MAX_CENTS, BillingSettings, PriceBracket, Tariff
from portail.billing.money import cents_from_euros, euros
from portail.structures.admin_base import ScopedModelAdmin, ScopedTabularInline, StructureListFilter
from portail.structures.scoping import register_scope

register_scope("billing.tariff", "activity__structure")
register_scope("billing.pricebracket", "tariff__activity__structure")
register_scope("billing.billingsettings", "structure")

# The online payment backends a structure may choose (billing.payment reads
# them): the local simulated bank and the eopayment backends we support.
PAYMENT_BACKENDS = [
    ("", _("Aucun (pas de paiement en ligne)")),
    ("payfip_ws", _("PayFiP (régie de la DGFiP)")),
    ("payzen", _("PayZen")),
    ("systempayv2", _("Systempay")),
    ("sips2", _("Sips (Worldline)")),
    ("simulated", _("Banque simulée (démonstration et essais)")),
]


class EurosField(forms.CharField):
    """A price typed in euros (« 2,40 », « 2.4 », « 3 »), kept in cents: a
    town-hall clerk reads and types euros, the database never sees a float."""

    default_error_messages = {"invalid": _("Indiquez un prix en euros, par exemple 2,40.")}

    def __init__(self, **kwargs):
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        kwargs.pop("step_size", None)
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)
        self.validators.append(MaxValueValidator(MAX_CENTS))

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value // 100},{value % 100:02d}"
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 20:  # « 1e999999 » or a pasted page: not a price
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            cents = cents_from_euros(value)
        except (ArithmeticError, ValueError):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if cents < 0:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return cents


class PriceBracketForm(forms.ModelForm):
    unit_price_cents = EurosField(label=_("prix unitaire (€)"))

    class Meta:
        model = PriceBracket
        fields = ["qf_max", "unit_price_cents"]


class PriceBracketFormSet(forms.BaseInlineFormSet):
    """The brackets of one tariff, checked together: at least one price, one
    top bracket (QF empty: the families without a valid QF pay it), no QF
    limit twice."""

    def clean(self):
        # Before Django's own duplicate check, which would name the column « qf_max ».
        if any(self.errors):
            return
        kept = [form.cleaned_data for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not kept:
            raise forms.ValidationError(_("Indiquez au moins un prix (la tranche haute, sans QF)."))
        limits = [row.get("qf_max") for row in kept]
        if limits.count(None) != 1:
            raise forms.ValidationError(
                _(
                    "Il faut exactement une tranche haute (QF laissé vide) : elle est payée par les familles "
                    "sans quotient familial valable."
                )
            )
        finite = [qf for qf in limits if qf is not None]
        if len(finite) != len(set(finite)):
            raise forms.ValidationError(_("Deux tranches ont la même limite de QF."))
        super().clean()


class PriceBracketInline(ScopedTabularInline):
    model = PriceBracket
    form = PriceBracketForm
    formset = PriceBracketFormSet
    fields = ["qf_max", "unit_price_cents"]
    extra = 1
    max_num = absolute_max = 30
    verbose_name_plural = _("tranches de prix par quotient familial (QF vide : tranche haute)")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The hint in the column's label: a table row has no room for a help
        # text (and Django's inline leaves the empty row's aria-describedby dangling).
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and field.help_text:
            field.label = format_lazy("{label} — {hint}", label=field.label, hint=field.help_text)
            field.help_text = ""
        return field


@admin.register(Tariff)
class TariffAdmin(ScopedModelAdmin):
    inlines = [PriceBracketInline]
    list_display = ["activity", "valid_from", "unit", "basis", "prices"]
    list_filter = [type("TariffStructureFilter", (StructureListFilter,), {"path": "activity__structure"}), "unit"]
    search_fields = ["activity__name", "activity__code"]
    autocomplete_fields = ["activity"]
    fieldsets = [
        (None, {"fields": ["activity", "valid_from", "unit", "basis"]}),
        (
            _("Réductions et majorations"),
            {
                "fields": [
                    "second_child_reduction_percent",
                    "third_child_reduction_percent",
                    "walk_in_surcharge_percent",
                ],
                "description": _(
                    "Réductions pour les enfants d'une même famille présents le même jour sur cette activité "
                    "(le plus âgé paie plein tarif). Majoration d'une présence sans réservation."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("activity").prefetch_related("brackets")

    @admin.display(description=_("prix"))
    def prices(self, obj):
        return " / ".join(euros(b.unit_price_cents) for b in obj.brackets.all())


class BillingSettingsForm(forms.ModelForm):
    payment_backend = forms.ChoiceField(label=_("paiement en ligne"), choices=PAYMENT_BACKENDS, required=False)

    class Meta:
        model = BillingSettings
        fields = [
            "structure", "legal_name", "siret", "regie_number", "payment_terms_days", "payment_ways",
            "reminder_after_days", "payment_backend", "payment_options",
        ]  # fmt: skip

    def clean_siret(self):
        siret = self.cleaned_data.get("siret", "")
        if siret and not (siret.isascii() and siret.isdigit() and len(siret) == 14):
            raise forms.ValidationError(_("Un SIRET a 14 chiffres."))
        return siret

    def clean_payment_options(self):
        options = self.cleaned_data.get("payment_options")
        if options in (None, ""):
            return {}
        if not isinstance(options, dict):
            raise forms.ValidationError(
                _('Les paramètres du paiement en ligne sont un objet JSON : {"clé": "valeur"}.')
            )
        return options


@admin.register(BillingSettings)
class BillingSettingsAdmin(ScopedModelAdmin):
    form = BillingSettingsForm
    list_display = ["structure", "legal_name", "regie_number", "payment_terms_days", "payment_backend"]
    list_filter = [StructureListFilter]
    search_fields = ["structure__name", "legal_name"]
    fieldsets = [
        (None, {"fields": ["structure", "legal_name", "siret", "regie_number"]}),
        (_("Paiement"), {"fields": ["payment_terms_days", "payment_ways", "reminder_after_days"]}),
        (_("Paiement en ligne"), {"fields": ["payment_backend", "payment_options"]}),
    ]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        structure_id = self.single_structure(request)
        if structure_id and "structure" not in initial:
            initial["structure"] = structure_id
        return initial
