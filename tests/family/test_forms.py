"""The family screens' parameter forms (issue 12, point 2): the window the
product supports, HH:MM times, ids that fit the column, fixed choices."""

import datetime

import pytest
from django.http import Http404
from django.http.request import QueryDict

from portail.family.forms import BadValue, ReserveForm, ToggleDayForm, ToggleSetForm, read
from portail.lib.validators import MAX_ID


def _read(form, **data):
    return read(form, QueryDict(mutable=True) | data)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2000-01-01", datetime.date(2000, 1, 1)),
        ("2100-12-31", datetime.date(2100, 12, 31)),
        ("1999-12-31", None),
        ("2101-01-01", None),
        ("0001-01-01", None),
        ("2026-02-30", None),
        ("2026-1-5", None),
        (" 2026-12-07", None),
        ("２０２６-１２-０７", None),  # full-width digits
    ],
)
def test_days_stay_within_2000_2100(value, expected):
    if expected is None:
        with pytest.raises(BadValue, match="Date invalide"):
            _read(ToggleDayForm, enfant="1", date=value)
    else:
        assert _read(ToggleDayForm, enfant="1", date=value)["date"] == expected


@pytest.mark.parametrize(
    "value, expected",
    [("2000-01", (2000, 1)), ("2100-12", (2100, 12)), ("1999-12", None), ("2101-01", None), ("2026-13", None),
     ("2026-00", None), ("0001-01", None), ("2026-1", None)],
)  # fmt: skip
def test_months_stay_within_2000_2100(value, expected):
    if expected is None:
        with pytest.raises(BadValue, match="Mois invalide"):
            _read(ReserveForm, mois=value)
    else:
        assert _read(ReserveForm, mois=value)["mois"] == expected


@pytest.mark.parametrize(
    "value, expected",
    [("00:00", datetime.time(0, 0)), ("23:59", datetime.time(23, 59)), ("07:30", datetime.time(7, 30)),
     ("24:00", None), ("23:60", None), ("7:30", None), ("07:30:00", None), ("07:30+05:00", None),
     ("2026-00", None), ("-01:00", None)],
)  # fmt: skip
def test_times_are_hh_mm_without_seconds_nor_offset(value, expected):
    if expected is None:
        with pytest.raises(BadValue, match="Heure d'arrivée invalide"):
            _read(ToggleDayForm, enfant="1", date="2026-12-07", arrivee=value)
    else:
        arrival = _read(ToggleDayForm, enfant="1", date="2026-12-07", arrivee=value)["arrivee"]
        assert arrival == expected and arrival.tzinfo is None


@pytest.mark.parametrize("value", ["0", "-1", str(MAX_ID + 1), "1e3", "1.0", "١٢", "x", ""])
def test_a_bad_id_is_not_found(value):
    with pytest.raises(Http404):
        _read(ToggleDayForm, enfant=value, date="2026-12-07")


def test_the_largest_id_the_column_holds_is_read():
    assert _read(ToggleDayForm, enfant=str(MAX_ID), date="2026-12-07")["enfant"] == MAX_ID


@pytest.mark.parametrize(
    "data, message",
    [
        ({"outil": "autre"}, "Outil inconnu."),
        ({"outil": "jour-semaine", "jour_semaine": "7"}, "Jour de la semaine invalide."),
        ({"outil": "jour-semaine"}, "Jour de la semaine invalide."),
        ({"outil": "semaine"}, "Semaine invalide"),
        ({"outil": "mois", "mois": ""}, "Choisissez une activité et un mois."),
    ],
)
def test_the_quick_tools_take_their_choices_from_fixed_sets(data, message):
    with pytest.raises(BadValue, match=message):
        _read(ToggleSetForm, **{"enfant": "1", "activite": "2", "mois": "2026-12", **data})
