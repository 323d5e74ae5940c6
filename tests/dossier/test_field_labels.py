"""Every label a person reads comes from a French, translated name (A4,
issue 17 point 6): the fields of the family file and billing models, the
columns of « Mes données », and the labels of the day and id fields of forms.
Django's automatic label is the field's English name (« Child », « Content
type », « Size », « Vaccinations date »): a review of the demo found them."""

import pytest
from django.apps import apps
from django.utils.functional import Promise

from portail.dossier import rgpd
from portail.family.health_forms import HealthSheetForm
from portail.web.forms import DayField, IdField


def _unnamed(model, names):
    return [
        f"{model._meta.label}.{name}"
        for name in names
        if not isinstance(model._meta.get_field(name).verbose_name, Promise)
    ]


@pytest.mark.parametrize("app_label", ["dossier", "billing"])
def test_every_field_of_the_family_file_and_billing_has_a_translated_label(app_label):
    unnamed = []
    for model in apps.get_app_config(app_label).get_models():
        fields = [f.name for f in model._meta.get_fields() if f.concrete and not f.auto_created]
        unnamed += _unnamed(model, fields)
    assert not unnamed, f"fields labelled by their English name: {unnamed}"


@pytest.mark.django_db
def test_every_column_of_my_data_has_a_translated_label(world, monkeypatch):
    columns = []
    label = rgpd._label

    def recording_label(model, name):
        columns.append((model, name))
        return label(model, name)

    monkeypatch.setattr(rgpd, "_label", recording_label)
    rgpd.family_data(world.family_a)
    assert len({model for model, _name in columns}) >= 10  # every section was built
    unnamed = [column for model, name in columns for column in _unnamed(model, [name])]
    assert not unnamed, f"« Mes données » columns labelled by their English name: {unnamed}"


def test_a_day_or_id_field_shows_the_label_it_was_given():
    assert DayField("Date du dernier rappel").label == "Date du dernier rappel"
    assert IdField("Activité").label == "Activité"
    assert str(HealthSheetForm.base_fields["vaccinations_date"].label) == "Date du dernier rappel"
