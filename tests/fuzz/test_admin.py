"""Fuzz suite of the back office's add and change forms (issue 12, points 2-3).

ADMIN_MODELS has an entry for every registered model admin (tests/fuzz/
test_guard.py fails when one is missing): the fields its forms post, of what
kind, the inline formsets it carries, and the object of CarteVille its change
form is tried on. Hypothesis posts random and hostile values (out-of-range
dates and numbers, unicode, control characters, 100 KB strings, missing and
repeated fields, the other structure's ids) as CarteVille's staff, as Les
Pinsons' staff and as the site administrator. Never a 500, never the posted
markup echoed raw, and a form shown again with its errors (200) or a refusal
(4xx) changes nothing. The bulk openings screen (B3) is fuzzed the same way.

Then the exact cases of issue 12 that gave a 500, or let a bad value in, on
3472ea3, one test each.
"""

import datetime
import os
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portail.structures.models import Activity, Child, ClosedPeriod, Family, InfoMessage, Opening, Structure
from tests.fuzz.values import assert_no_markup_echoed, assert_no_server_error, fingerprint, params
from tests.structures.test_admin_scoping import scoped  # noqa: F401 - the world with every admin's objects

ADMIN_USERS = ("staff_a", "staff_b", "admin")
# Small in the normal run (the whole file well under a minute); FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))


@dataclass(frozen=True)
class AdminForm:
    """What the add and change forms of one model admin post.

    fields: form field -> kind (tests/fuzz/values.KINDS); inlines: formset
    prefix -> its row's fields; obj: world -> CarteVille's object for the change
    form (None: the add form only); valid: world -> {field: [valid values]}."""

    fields: dict
    inlines: dict = field(default_factory=dict)
    obj: object = None
    valid: object = None


def _ids(*attrs):
    return lambda w: [str(getattr(w, a).pk) for a in attrs]


DATES = ["07/12/2026", "2026-12-07", "01/01/0001", "31/12/9999", "29/12/2026", "01/01/2000"]
TIMES = ["07:30", "18:00", "24:00", "7h30"]


def _valid(w):
    """Values that get past validation, with both structures' ids so that scoping is fuzzed too."""
    return {
        "structure": _ids("a", "b")(w),
        "family": _ids("family_a", "family_b", "martin_a")(w),
        "child": _ids("paolo", "paolo_b")(w),
        "activity": _ids("aps_a", "cantine_a", "alsh_b")(w),
        "accounts": _ids("martin", "dupont")(w),
        "civility": ["M.", "Mme"],
        "date": DATES,
        "birth_date": DATES,
        "start_date": DATES,
        "end_date": DATES,
        "visible_from": DATES,
        "visible_until": DATES,
        "booking_period_start": DATES,
        "booking_period_end": DATES,
        "bookings_open_at_0": DATES,
        "bookings_open_at_1": TIMES,
        "capacity": ["0", "10", "10000", "10001", "2147483648"],
        "waiting_list_capacity": ["0", "3", "99999999999999999999"],
        "colour": ["#1E88E5"],
        "booking_deadline_count": ["calendar", "working"],
        "cancellation_deadline_count": ["calendar", "working"],
        "arrival": TIMES,
        "departure": TIMES,
        "earliest_time": TIMES,
        "latest_time": TIMES,
        "processing_time": TIMES,
        "email": ["parent@example.org"],
        "holiday_subdivision": ["", "57", "974"],
    }


PEOPLE = {"first_name": "text", "last_name": "text"}

ADMIN_MODELS = {
    "structures.structure": AdminForm(
        {
            "name": "text",
            "email": "text",
            "phone": "text",
            "address": "text",
            "processing_time": "time",
            "holiday_subdivision": "choice",
            "block_bookings_overdue_days": "int",
            "block_bookings_missing_documents": "bool",
            "staff": "id",
        },
        obj=lambda w: w.a,
    ),
    "structures.family": AdminForm(
        {"structure": "id", "reference": "text", "civility": "choice", **PEOPLE, "accounts": "id"}
        | {"address": "text", "quotient_familial": "int", "qf_valid_until": "date"},  # issue 16
        inlines={"children": {**PEOPLE, "birth_date": "date", "school_class": "text"}},
        obj=lambda w: w.family_a,
        valid=lambda w: {"quotient_familial": ["", "0", "450", "100001"], "qf_valid_until": ["", *DATES]},
    ),
    "structures.child": AdminForm(
        {"family": "id", **PEOPLE, "birth_date": "date", "school_class": "text"},
        inlines={"enrolments": {"activity": "id", "start_date": "date", "end_date": "date"}},
        obj=lambda w: w.paolo,
    ),
    "structures.activity": AdminForm(
        {
            "structure": "id",
            "name": "text",
            "code": "text",
            "colour": "text",
            "is_limited": "bool",
            "capacity": "int",
            "waiting_list_capacity": "int",
            "has_times": "bool",
            "earliest_time": "time",
            "latest_time": "time",
            "time_step_minutes": "int",
            "booking_deadline_days": "int",
            "booking_deadline_time": "time",
            "booking_deadline_count": "choice",
            "cancellation_deadline_days": "int",
            "cancellation_deadline_time": "time",
            "cancellation_deadline_count": "choice",
            "booking_period_start": "date",
            "booking_period_end": "date",
            "bookings_open_at_0": "date",
            "bookings_open_at_1": "time",
        },
        # Issue 18 point 9: the activity's age groups.
        inlines={
            "age_groups": {
                "name": "text",
                "min_age": "int",
                "max_age": "int",
                "capacity": "int",
                "waiting_list_capacity": "int",
            },
        },
        obj=lambda w: w.aps_a,
    ),
    "structures.opening": AdminForm(
        {"activity": "id", "date": "date", "capacity": "int", "waiting_list_capacity": "int"},
        obj=lambda w: w.opening_a,
    ),
    "structures.enrolment": AdminForm(
        {"child": "id", "activity": "id", "start_date": "date", "end_date": "date"}, obj=lambda w: w.enrolment_a
    ),
    "structures.closedperiod": AdminForm(
        {"structure": "id", "label": "text", "start_date": "date", "end_date": "date"}, obj=lambda w: w.closed_a
    ),
    "structures.infomessage": AdminForm(
        {"structure": "id", "title": "text", "text": "text", "visible_from": "date", "visible_until": "date"},
        obj=lambda w: w.message_a,
    ),
    "booking.booking": AdminForm(
        {"child": "id", "activity": "id", "date": "date", "status": "choice", "reason": "text"},
        inlines={"movements": {"reason": "text"}, "audit": {"note": "text"}},
        obj=lambda w: w.booking_a,
    ),
    "booking.movement": AdminForm({"kind": "choice", "reason": "text"}, obj=lambda w: w.movement_a),
    "booking.consumption": AdminForm(
        {
            "child": "id",
            "activity": "id",
            "date": "date",
            "present": "bool",
            "arrival": "time",
            "departure": "time",
        },
        obj=lambda w: w.consumption_a,
    ),
    "booking.processingrun": AdminForm({"structure": "id", "movements_count": "int"}, obj=lambda w: w.run_a),
    "notifications.outboxemail": AdminForm({"to": "text", "subject": "text"}, obj=lambda w: w.email_a),
    "accounts.user": AdminForm(
        {
            "username": "text",
            **PEOPLE,
            "email": "text",
            "family": "id",
            "is_active": "bool",
            "is_staff": "bool",
            "is_superuser": "bool",
            "staff_structures": "id",
        },
        obj=lambda w: w.martin,
    ),
    "accounts.invitation": AdminForm({"family": "id", "email": "text"}, obj=lambda w: w.invitation_a),
    "accounts.staffaccount": AdminForm(
        {
            "username": "text",
            **PEOPLE,
            "email": "text",
            "staff_role": "choice",
            "structures": "id",
            "is_active": "bool",
        },
        obj=lambda w: w.staff_a,
    ),
    # Issue 16 point 1: prices (with their brackets) and each structure's billing settings.
    "billing.tariff": AdminForm(
        {
            "activity": "id",
            "valid_from": "date",
            "unit": "choice",
            "basis": "choice",
            "walk_in_surcharge_percent": "int",
            "second_child_reduction_percent": "int",
            "third_child_reduction_percent": "int",
        },
        inlines={"brackets": {"qf_max": "int", "unit_price_cents": "text"}},
        obj=lambda w: _billing_objects(w)[0],
        valid=lambda w: {
            "valid_from": DATES,
            "unit": ["day", "quarter", "hour"],
            "basis": ["bookings", "consumptions"],
            "unit_price_cents": ["2,40", "3", "0.5", "-1", "1e9"],
            "qf_max": ["", "600", "100001"],
        },
    ),
    "billing.billingsettings": AdminForm(
        {
            "structure": "id",
            "legal_name": "text",
            "siret": "text",
            "regie_number": "text",
            "payment_terms_days": "int",
            "payment_ways": "text",
            "reminder_after_days": "int",
            "payment_backend": "choice",
            "payment_options": "text",
        },
        obj=lambda w: _billing_objects(w)[1],
        valid=lambda w: {
            "siret": ["12345678901234", "123"],
            "payment_backend": ["", "simulated", "payfip_ws"],
            "payment_options": ["{}", '{"numcli": "123456"}', "[]", "{"],
        },
    ),
    # Issue 17 point 4: the documents a structure asks for.
    "dossier.documenttype": AdminForm(
        {
            "structure": "id",
            "name": "text",
            "kind": "choice",
            "per_child": "bool",
            "required": "bool",
            "validity_months": "int",
        },
        obj=lambda w: _document_type(w),
        valid=lambda w: {"kind": ["caf", "insurance", "other"], "validity_months": ["", "12", "0", "121"]},
    ),  # fmt: skip
    "auth.group": AdminForm({"name": "text", "permissions": "id"}),
    "axes.accessattempt": AdminForm({"username": "text", "ip_address": "text"}),
    "axes.accesslog": AdminForm({"username": "text", "ip_address": "text"}),
    "axes.accessfailurelog": AdminForm({"username": "text", "ip_address": "text"}),
}


def _document_type(w):
    """CarteVille's insurance, made on first use."""
    from portail.dossier.models import DocumentType

    return DocumentType.objects.get_or_create(structure=w.a, name="Assurance")[0]


def _billing_objects(w):
    """CarteVille's tariff of APS MATIN and its billing settings, made on first use."""
    from portail.billing.models import BillingSettings, PriceBracket, Tariff

    tariff, created = Tariff.objects.get_or_create(activity=w.aps_a, valid_from=datetime.date(2026, 9, 1))
    if created:
        PriceBracket.objects.create(tariff=tariff, qf_max=None, unit_price_cents=300)
    settings_a, _ = BillingSettings.objects.get_or_create(
        structure=w.a, defaults={"legal_name": "Commune de CarteVille"}
    )
    return tariff, settings_a


@pytest.fixture
def admin_world(scoped):  # noqa: F811 - the fixture imported above
    return scoped


def _url(label, obj):
    app_label, model_name = label.split(".")
    if obj is None:
        return reverse(f"admin:{app_label}_{model_name}_add")
    return reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])


def _client(world, user):
    client = Client()
    client.force_login(getattr(world, user))
    return client


def _inline_fields(inlines):
    """Each inline's first row, fuzzed like the form's own fields."""
    return {f"{prefix}-0-{name}": kind for prefix, row in inlines.items() for name, kind in row.items()}


def _inline_valid(inlines, valid):
    return {
        f"{prefix}-0-{name}": valid[name] for prefix, row in inlines.items() for name in row if name in valid
    }  # fmt: skip


def _management(inlines, draw):
    """The formsets' management forms: usually right (0 or 1 new row), sometimes hostile or missing."""
    data = {}
    for prefix in inlines:
        total = draw.draw(st.sampled_from(["0", "1", "1", "-1", "99999999999999999999", "x", None]), label="total")
        if total is not None:
            data.update({f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": "0"})
    return data


def _check(response, data, what, before):
    assert_no_server_error(response, what)
    assert_no_markup_echoed(response, data, what)
    # A form shown again with its errors, or a refusal, saved nothing.
    if response.status_code == 200 or response.status_code >= 400:
        after = fingerprint()
        changed = [t for t in before if before[t] != after.get(t)]
        assert not changed, f"{what}: refused ({response.status_code}) but changed {changed}"


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_hostile_admin_forms_never_crash_nor_save_when_refused(admin_world, label, draw):
    entry = ADMIN_MODELS[label]
    valid = {**_valid(admin_world), **(entry.valid(admin_world) if entry.valid else {})}
    fields = {**entry.fields, **_inline_fields(entry.inlines)}
    data = draw.draw(params(fields, {**valid, **_inline_valid(entry.inlines, valid)}), label="data")
    data.update(_management(entry.inlines, draw))
    user = draw.draw(st.sampled_from(ADMIN_USERS), label="user")
    obj = entry.obj(admin_world) if entry.obj and draw.draw(st.booleans(), label="change") else None
    client = _client(admin_world, user)
    before = fingerprint()
    response = client.post(_url(label, obj), data)
    _check(response, data, f"{label} {'change' if obj else 'add'} as {user} with {data!r:.300}", before)


BULK_FIELDS = {"start": "date", "end": "date", "weekdays": "int", "capacity": "int", "waiting_list_capacity": "int"}


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draw=st.data())
def test_hostile_bulk_openings_never_crash_nor_save_when_refused(admin_world, draw):
    valid = {
        "start": ["2026-12-01", "01/12/2026", "01/01/0001"],
        "end": ["2026-12-31", "31/12/2026", "31/12/9999"],
        "weekdays": ["0", "2", "6", "7"],
        "capacity": ["0", "12", "10000", "2147483648", "99999999999999999999"],
        "waiting_list_capacity": ["0", "3"],
    }
    data = draw.draw(params(BULK_FIELDS, valid), label="data")
    if draw.draw(st.booleans(), label="confirm"):
        data["confirm"] = "1"
    user = draw.draw(st.sampled_from(ADMIN_USERS), label="user")
    activity = draw.draw(st.sampled_from([admin_world.aps_a, admin_world.alsh_b]), label="activity")
    client = _client(admin_world, user)
    before = fingerprint()
    response = client.post(reverse("admin:structures_activity_bulk_openings", args=[activity.pk]), data)
    _check(response, data, f"bulk openings of {activity} as {user} with {data!r:.300}", before)


# ------------------------------------------------------------------ exact cases of issue 12


@pytest.fixture
def agent_a(admin_world):
    return _client(admin_world, "staff_a")


def _refused(response, before, message):
    assert response.status_code == 200, response.status_code
    assert message in response.content.decode()
    assert fingerprint() == before


WINDOW = "Indiquez une date entre le 01/01/2000 et le 31/12/2100."


@pytest.mark.parametrize("date", ["01/01/0001", "0001-01-01", "31/12/9999", "31/12/1999"])
def test_an_opening_dated_year_one_is_refused(agent_a, admin_world, date):
    before = fingerprint()
    response = agent_a.post(reverse("admin:structures_opening_add"), {"activity": admin_world.aps_a.pk, "date": date})
    _refused(response, before, WINDOW)


@pytest.mark.parametrize("family", ["abc", "1e3", "99999999999999999999", "-1", "<b>x</b>"])
@pytest.mark.parametrize("change", [False, True], ids=["add", "change"])
def test_a_non_numeric_family_id_on_the_child_form_is_a_form_error(agent_a, admin_world, family, change):
    data = {
        "family": family, "first_name": "Zoé", "last_name": "DUPONT", "birth_date": "02/03/2019",
        "enrolments-TOTAL_FORMS": "1", "enrolments-INITIAL_FORMS": "0",
        "enrolments-0-activity": admin_world.aps_a.pk, "enrolments-0-start_date": "01/09/2026",
        "enrolments-0-end_date": "03/07/2027",
    }  # fmt: skip
    before = fingerprint()
    response = agent_a.post(_url("structures.child", admin_world.paolo if change else None), data)
    assert response.status_code == 200
    assert "<b>x</b>" not in response.content.decode()
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param("01/01/0001", "29/12/2026", id="0001-to-2026"),
        pytest.param("01/09/2026", "02/09/2027", id="367-days"),
        pytest.param("29/12/2026", "01/01/2026", id="end-before-start"),
    ],
)
def test_a_closure_longer_than_a_school_year_is_refused(agent_a, admin_world, start, end):
    before = fingerprint()
    data = {"structure": admin_world.a.pk, "label": "Fermeture", "start_date": start, "end_date": end}
    response = agent_a.post(reverse("admin:structures_closedperiod_add"), data)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert fingerprint() == before


def test_a_closure_of_a_whole_school_year_is_still_accepted(agent_a, admin_world):
    data = {
        "structure": admin_world.a.pk,
        "label": "Année 2026-2027",
        "start_date": "01/09/2026",
        "end_date": "31/08/2027",
    }
    assert agent_a.post(reverse("admin:structures_closedperiod_add"), data).status_code == 302
    assert ClosedPeriod.objects.filter(label="Année 2026-2027").exists()


def test_the_closure_rule_is_the_models_so_every_path_refuses_it(admin_world):
    closure = ClosedPeriod(
        structure=admin_world.a,
        label="Fermeture",
        start_date=datetime.date(1, 1, 1),
        end_date=datetime.date(2026, 12, 29),
    )
    with pytest.raises(ValidationError) as error:
        closure.full_clean()
    assert set(error.value.message_dict) == {"start_date", "end_date"}


@pytest.mark.parametrize("places", ["99999999999999999999", "2147483648", "10001", "-1"])
@pytest.mark.parametrize("name", ["capacity", "waiting_list_capacity"])
@pytest.mark.parametrize("confirm", [False, True], ids=["preview", "confirm"])
def test_bulk_openings_refuse_places_beyond_ten_thousand(agent_a, admin_world, places, name, confirm):
    data = {"start": "2026-12-01", "end": "2026-12-31", "weekdays": ["0", "1"], name: places}
    if confirm:
        data["confirm"] = "1"
    before = fingerprint()
    response = agent_a.post(reverse("admin:structures_activity_bulk_openings", args=[admin_world.aps_a.pk]), data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert fingerprint() == before


def test_bulk_openings_refuse_dates_outside_the_window(agent_a, admin_world):
    data = {"start": "01/01/0001", "end": "31/12/0001", "weekdays": ["0"], "confirm": "1"}
    before = fingerprint()
    response = agent_a.post(reverse("admin:structures_activity_bulk_openings", args=[admin_world.aps_a.pk]), data)
    _refused(response, before, WINDOW)


@pytest.mark.parametrize("label", ["structures.opening", "structures.activity"])
def test_places_beyond_ten_thousand_are_refused_by_the_admin(agent_a, admin_world, label):
    obj = admin_world.opening_a if label == "structures.opening" else admin_world.aps_a
    form = {"structures.opening": {"activity": admin_world.aps_a.pk, "date": "07/12/2026"},
            "structures.activity": {"structure": admin_world.a.pk, "name": "APS MATIN", "code": "APSM", "colour": "#1E88E5",
                                    "is_limited": "on", "waiting_list_capacity": "3", "booking_deadline_days": "2",
                                    "booking_deadline_time": "10:00", "booking_deadline_count": "calendar",
                                    "cancellation_deadline_days": "2", "cancellation_deadline_time": "10:00",
                                    "cancellation_deadline_count": "calendar", "booking_period_start": "01/09/2026",
                                    "booking_period_end": "03/07/2027", "age_groups-TOTAL_FORMS": "0",
                                    "age_groups-INITIAL_FORMS": "0"}}[label]  # fmt: skip
    before = fingerprint()
    response = agent_a.post(_url(label, obj), {**form, "capacity": "2147483648"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert fingerprint() == before
    assert agent_a.post(_url(label, obj), {**form, "capacity": "12"}).status_code == 302


NAMES_WITH_CONTROLS = ["DUPONT\r\nJean", "DUPONT\x00", "DUPONT\x1b[31m", "\u202eTNOPUD"]


@pytest.mark.parametrize("name", NAMES_WITH_CONTROLS)
def test_names_with_control_characters_are_refused_by_the_admin(agent_a, admin_world, name):
    data = {"structure": admin_world.a.pk, "reference": "NEW", "civility": "Mme", "last_name": name, "first_name": "Ana",
            "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0"}  # fmt: skip
    before = fingerprint()
    response = agent_a.post(reverse("admin:structures_family_add"), data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Structure, {"name": "Mairie\nX"}),
        (Family, {"last_name": "DUPONT\r\nJean"}),
        (Child, {"first_name": "Paolo\x00"}),
        (Activity, {"code": "AP\tSM"}),
        (ClosedPeriod, {"label": "Noël\x1b"}),
        (InfoMessage, {"title": "Menus\r\n"}),
    ],
)
def test_the_models_refuse_control_characters(admin_world, model, values):
    obj = {
        Structure: admin_world.a,
        Family: admin_world.family_a,
        Child: admin_world.paolo,
        Activity: admin_world.aps_a,
        ClosedPeriod: admin_world.closed_a,
        InfoMessage: admin_world.message_a,
    }[model]
    obj.full_clean()  # the world is valid
    for name, value in values.items():
        setattr(obj, name, value)
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    assert set(error.value.message_dict) == set(values)


def test_multi_line_texts_keep_their_line_breaks(admin_world):
    admin_world.message_a.text = "Bonjour,\r\nles menus sont en ligne.\n\tBonne semaine"
    admin_world.message_a.full_clean()
    admin_world.message_a.text = "Bonjour\x07"
    with pytest.raises(ValidationError):
        admin_world.message_a.full_clean()


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (Opening, "date", datetime.date(1, 1, 1)),
        (Opening, "capacity", 10_001),
        (Activity, "booking_period_start", datetime.date(1999, 12, 31)),
        (Child, "birth_date", datetime.date(1, 1, 1)),
        (InfoMessage, "visible_until", datetime.date(2101, 1, 1)),
    ],
)
def test_the_models_refuse_values_out_of_range(admin_world, model, field, value):
    obj = {
        Opening: admin_world.opening_a,
        Activity: admin_world.aps_a,
        Child: admin_world.paolo,
        InfoMessage: admin_world.message_a,
    }[model]
    setattr(obj, field, value)
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    assert field in error.value.message_dict


@pytest.mark.parametrize("pk", ["9223372036854775808", "99999999999999999999"])
def test_ids_no_column_holds_in_a_multiple_choice_are_a_form_error(admin_world, pk):
    """Found by this suite: SQLite's driver raised OverflowError (a 500) on an `in` query."""
    superuser, staff = _client(admin_world, "admin"), _client(admin_world, "staff_a")
    before = fingerprint()
    group = superuser.post(reverse("admin:auth_group_add"), {"name": "Équipe", "permissions": [pk]})
    family = staff.post(
        _url("structures.family", admin_world.family_a),
        {"structure": admin_world.a.pk, "reference": "DUP", "civility": "M.", "last_name": "DUPONT",
         "first_name": "Jean-Paul", "accounts": [str(admin_world.dupont.pk), pk],
         "children-TOTAL_FORMS": "0", "children-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert group.status_code == family.status_code == 200
    assert "errorlist" in group.content.decode() and "errorlist" in family.content.decode()
    assert fingerprint() == before
