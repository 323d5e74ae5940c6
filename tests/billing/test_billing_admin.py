"""Prices and billing settings in the back office (issue 16 point 1), scoped
per structure: staff of CarteVille see, change and choose only CarteVille's
activities' tariffs and its own settings; a tariff needs exactly one top
bracket (the price of families without a valid QF); prices are typed in
euros and kept in cents."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from portail.billing.models import BillingSettings, PriceBracket, Tariff
from tests.billing.tariffs import make_tariff
from tests.fuzz.values import fingerprint
from tests.helpers import page_text

MISSING_PK = 987654321


@pytest.fixture
def tariffs(world):
    world.tariff_a = make_tariff(world.aps_a, {600: 150, None: 300})
    world.tariff_b = make_tariff(world.alsh_b, {None: 900})
    world.settings_a = BillingSettings.objects.create(structure=world.a, legal_name="Commune de CarteVille")
    world.settings_b = BillingSettings.objects.create(structure=world.b, legal_name="Association Les Pinsons")
    return world


@pytest.fixture
def agent_a(tariffs):
    client = Client()
    client.force_login(tariffs.staff_a)
    return client


def tariff_post(activity, brackets, **fields):
    """The add form's data: {qf_max or "": "price in euros"}."""
    data = {
        "activity": activity.pk, "valid_from": "01/01/2027", "unit": "day", "basis": "bookings",
        "walk_in_surcharge_percent": "0", "second_child_reduction_percent": "0", "third_child_reduction_percent": "0",
        "brackets-TOTAL_FORMS": str(len(brackets)), "brackets-INITIAL_FORMS": "0",
        **fields,
    }  # fmt: skip
    for index, (qf_max, price) in enumerate(brackets.items()):
        data[f"brackets-{index}-qf_max"] = qf_max
        data[f"brackets-{index}-unit_price_cents"] = price
    return data


def test_staff_list_only_their_structures_tariffs(agent_a, tariffs):
    html = page_text(agent_a.get(reverse("admin:billing_tariff_changelist")))
    assert "APS MATIN" in html and "ALSH MERCREDI" not in html
    assert "1,50" in html and "3,00" in html  # the prices, in euros


@pytest.mark.parametrize("model", ["tariff", "billingsettings"])
def test_the_other_structures_object_answers_as_a_missing_one(agent_a, tariffs, model):
    other = tariffs.tariff_b if model == "tariff" else tariffs.settings_b
    url = reverse(f"admin:billing_{model}_change", args=[other.pk])
    missing = reverse(f"admin:billing_{model}_change", args=[MISSING_PK])
    got, expected = agent_a.get(url), agent_a.get(missing)
    assert got.status_code == expected.status_code == 302
    assert got.url == expected.url
    before = fingerprint()
    agent_a.post(url, {"activity": tariffs.aps_a.pk, "valid_from": "01/01/2027"})
    assert fingerprint() == before


def test_a_tariff_is_added_with_prices_in_euros(agent_a, tariffs):
    response = agent_a.post(reverse("admin:billing_tariff_add"), tariff_post(tariffs.aps_a, {"500": "2,40", "": "3.5"}))
    assert response.status_code == 302, page_text(response)[:3000]
    tariff = Tariff.objects.get(activity=tariffs.aps_a, valid_from=datetime.date(2027, 1, 1))
    assert sorted(tariff.brackets.values_list("qf_max", "unit_price_cents"), key=str) == [(500, 240), (None, 350)]
    html = page_text(agent_a.get(reverse("admin:billing_tariff_change", args=[tariff.pk])))
    assert 'value="2,40"' in html  # shown again in euros


@pytest.mark.parametrize(
    ("brackets", "message"),
    [
        ({"500": "2,40"}, "Il faut exactement une tranche haute"),
        ({"500": "2,40", "": "3", "500 ": "2"}, "Deux tranches ont la même limite de QF."),
        ({"": "2,401"}, "Indiquez un prix en euros, par exemple 2,40."),
        ({"": "-1"}, "Indiquez un prix en euros, par exemple 2,40."),
        ({"": "abc"}, "Indiquez un prix en euros, par exemple 2,40."),
        ({"": "1e9"}, "Assurez-vous que cette valeur est inférieure ou égale à"),
    ],
)
def test_wrong_brackets_are_refused_in_french(agent_a, tariffs, brackets, message):
    before = fingerprint()
    response = agent_a.post(reverse("admin:billing_tariff_add"), tariff_post(tariffs.aps_a, brackets))
    assert response.status_code == 200
    assert message in page_text(response)
    assert fingerprint() == before


def test_a_tariff_without_any_price_is_refused(agent_a, tariffs):
    response = agent_a.post(reverse("admin:billing_tariff_add"), tariff_post(tariffs.aps_a, {}))
    assert "Indiquez au moins un prix" in page_text(response)
    assert not Tariff.objects.filter(valid_from=datetime.date(2027, 1, 1)).exists()


def test_staff_cannot_price_another_structures_activity(agent_a, tariffs):
    before = fingerprint()
    response = agent_a.post(reverse("admin:billing_tariff_add"), tariff_post(tariffs.alsh_b, {"": "3"}))
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in page_text(response)
    assert fingerprint() == before
    assert not PriceBracket.objects.filter(tariff__activity=tariffs.alsh_b, unit_price_cents=300).exists()


def test_billing_settings_scoped_and_checked(agent_a, tariffs):
    url = reverse("admin:billing_billingsettings_change", args=[tariffs.settings_a.pk])
    data = {
        "structure": tariffs.a.pk, "legal_name": "Commune de CarteVille", "siret": "123", "regie_number": "R-42",
        "payment_terms_days": "30", "payment_ways": "Chèque à l'ordre du Trésor public", "reminder_after_days": "15",
        "payment_backend": "simulated", "payment_options": "{}",
    }  # fmt: skip
    assert "Un SIRET a 14 chiffres." in page_text(agent_a.post(url, data))
    assert agent_a.post(url, {**data, "payment_options": "[1]"}).status_code == 200
    assert agent_a.post(url, {**data, "payment_backend": "bitcoin", "siret": "21570000000017"}).status_code == 200
    assert BillingSettings.objects.get(pk=tariffs.settings_a.pk).siret == ""
    response = agent_a.post(url, {**data, "siret": "21570000000017"})
    assert response.status_code == 302
    assert BillingSettings.objects.get(pk=tariffs.settings_a.pk).siret == "21570000000017"
    # The other structure cannot be chosen.
    response = agent_a.post(url, {**data, "siret": "21570000000017", "structure": tariffs.b.pk})
    assert response.status_code == 200 and "Sélectionnez un choix valide" in page_text(response)
    assert BillingSettings.objects.get(pk=tariffs.settings_a.pk).structure_id == tariffs.a.pk


def test_the_family_admin_takes_the_qf_with_its_validity(agent_a, tariffs):
    family = tariffs.family_a
    url = reverse("admin:structures_family_change", args=[family.pk])
    data = {
        "structure": tariffs.a.pk, "reference": family.reference, "civility": family.civility,
        "last_name": family.last_name, "first_name": family.first_name, "phone": "",
        "accounts": [a.pk for a in family.accounts.all()], "address": "3 rue des Lilas\n57000 CarteVille",
        "quotient_familial": "450", "qf_valid_until": "",
    }  # fmt: skip
    # Every inline of the page (children, and what other apps add) posted empty: unchanged.
    for prefix in re.findall(r'name="([\w-]+)-TOTAL_FORMS"', agent_a.get(url).content.decode()):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = agent_a.post(url, data)
    assert response.status_code == 200
    assert "Indiquez le quotient familial et sa date de fin de validité, ou aucun des deux." in page_text(response)
    family.refresh_from_db()
    assert family.quotient_familial is None
    response = agent_a.post(url, {**data, "qf_valid_until": "31/12/2026"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert (family.quotient_familial, family.qf_valid_until) == (450, datetime.date(2026, 12, 31))
    assert family.address.splitlines() == ["3 rue des Lilas", "57000 CarteVille"]
