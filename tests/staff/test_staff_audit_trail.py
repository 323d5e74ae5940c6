"""Issue 13: every staff action from the planning requires a reason (refused
in French, nothing changed, before the engine is called); capacity changes and
closures are in the one audit trail the staff's audit screens read; a closed
day keeps its opening and is shown closed, not open, on every staff screen."""

import datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from portail.booking.models import (
    AuditSource,
    BookingAudit,
    BookingStatus,
    OpeningAudit,
    OpeningEvent,
)
from portail.staff import queries
from portail.structures.models import Opening
from tests import factories as f
from tests.fuzz.values import fingerprint
from tests.helpers import make_booking, page_text
from tests.staff.conftest import DAY, visible_text

PLANNING = reverse("staff:planning")


def _posts(world, full_day):
    paolo, waiting = full_day
    f.EnrolmentFactory(child=world.amalia, activity=world.aps_a)
    day = {"activite": world.aps_a.pk, "date": DAY, "vue": ""}
    return {
        "book": {**day, "enfant": world.amalia.pk},
        "cancel": {"reservation": paolo.pk, "vue": ""},
        "promote": {"reservation": waiting[0].pk, "vue": ""},
        "capacity": {**day, "places": 3, "places_attente": ""},
        "close": {**day, "confirmation": "oui"},
    }


@pytest.mark.parametrize("name", ["book", "cancel", "promote", "capacity", "close"])
@pytest.mark.parametrize("motif", [None, "", "   "])
def test_each_action_without_a_reason_is_refused_in_french_and_changes_nothing(staff, world, full_day, name, motif):
    data = _posts(world, full_day)[name]
    if motif is not None:
        data["motif"] = motif
    before = fingerprint()
    response = staff.post(reverse(f"staff:{name}"), data)
    assert response.status_code == 400
    assert "Indiquez un motif." in visible_text(response)
    assert fingerprint() == before


def test_each_action_without_a_reason_in_htmx_is_plain_text(staff, world, full_day):
    data = _posts(world, full_day)["close"]
    before = fingerprint()
    response = staff.post(reverse("staff:close"), data, headers={"HX-Request": "true"})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "Indiquez un motif."
    assert fingerprint() == before


def test_capacity_change_and_closure_are_audited_by_the_engine_not_the_admin_log(staff, world, full_day):
    data = _posts(world, full_day)
    staff.post(reverse("staff:capacity"), {**data["capacity"], "motif": "Renfort"})
    staff.post(reverse("staff:close"), {**data["close"], "motif": "Grève du personnel"})
    entries = list(OpeningAudit.objects.order_by("id").values_list("event", "actor", "capacity_before", "note"))
    assert entries == [
        (OpeningEvent.CAPACITY, world.staff_a.pk, 1, "Renfort"),
        (OpeningEvent.CLOSURE, world.staff_a.pk, 3, "Grève du personnel"),
    ]
    assert not LogEntry.objects.exists()  # one trail: the booking audit


def test_the_day_audit_screen_shows_capacity_changes_closure_and_bookings(staff, world, full_day):
    paolo, _ = full_day
    data = _posts(world, full_day)
    staff.post(reverse("staff:capacity"), {**data["capacity"], "motif": "Renfort <b>du mercredi</b>"})
    staff.post(reverse("staff:close"), {**data["close"], "motif": "Grève du personnel"})
    response = staff.get(reverse("staff:day_audit"), {"activite": world.aps_a.pk, "date": DAY.isoformat()})
    assert response.status_code == 200
    text = visible_text(response)
    assert "Journée fermée le 26/11/2026 12:00 par AGENT Alice. Motif : Grève du personnel" in text
    assert "Places : 1 → 3 ; liste d'attente : 5 → 5" in text
    assert "Renfort &lt;b&gt;du mercredi&lt;/b&gt;" in response.content.decode()  # escaped
    assert "Journée fermée Grève du personnel" in text
    assert "DUPONT Paolo" in text  # the bookings the closure cancelled, in the same trail
    # newest first: the closure, then the cancellations it made, then the capacity change
    assert text.index("Journée fermée Grève") < text.index("Places : 1 → 3")


def test_a_booking_audit_shows_its_days_capacity_changes_and_closure(staff, world, full_day):
    paolo, _ = full_day
    data = _posts(world, full_day)
    staff.post(reverse("staff:capacity"), {**data["capacity"], "motif": "Renfort"})
    staff.post(reverse("staff:close"), {**data["close"], "motif": "Grève du personnel"})
    text = visible_text(staff.get(reverse("staff:booking_audit", args=[paolo.pk])))
    assert "Places : 1 → 3" in text and "Renfort" in text
    assert "Journée fermée Grève du personnel" in text
    assert "Acceptée → Annulée Grève du personnel" in text


def test_the_day_audit_is_scoped_and_validated(staff, world, full_day):
    day_b = {"activite": world.alsh_b.pk, "date": DAY.isoformat()}
    assert staff.get(reverse("staff:day_audit"), day_b).status_code == 404  # structure B
    assert staff.get(reverse("staff:day_audit"), {"activite": world.aps_a.pk, "date": "2026-13-01"}).status_code == 400
    not_open = {"activite": world.aps_a.pk, "date": "2027-03-03"}
    assert staff.get(reverse("staff:day_audit"), not_open).status_code == 404


def test_the_audit_page_costs_the_same_with_opening_entries(staff, world, full_day, django_assert_max_num_queries):
    data = _posts(world, full_day)
    for n in range(3):
        staff.post(reverse("staff:capacity"), {**data["capacity"], "places": n + 2, "motif": f"Renfort {n}"})
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    entries = queries.day_audit(opening)
    with django_assert_max_num_queries(4):
        rows = entries[0:100]
    assert [r.note for r in rows if isinstance(r, OpeningAudit)] == ["Renfort 2", "Renfort 1", "Renfort 0"]
    assert any(isinstance(r, BookingAudit) and r.source == AuditSource.PROMOTION for r in rows)


def test_a_closed_day_is_shown_closed_and_left_out_of_counts(staff, world, full_day):
    data = _posts(world, full_day)
    Opening.objects.get_or_create(activity=world.cantine_a, date=DAY)
    Opening.objects.get_or_create(activity=world.cantine_a, date=DAY + datetime.timedelta(days=1))
    make_booking(child=world.leo, activity=world.cantine_a, date=DAY, status=BookingStatus.ACCEPTED)
    staff.post(reverse("staff:close"), {**data["close"], "motif": "Grève du personnel"})
    staff.post(
        reverse("staff:close"),
        {"activite": world.cantine_a.pk, "date": DAY, "vue": "", "confirmation": "oui", "motif": "Grève"},
    )
    # the planning of all activities leaves it out; chosen, it says closed, with its reason and history
    planning = page_text(staff.get(PLANNING, {"date": DAY.isoformat()}))
    assert "APS MATIN" not in planning.split("</select>")[1]
    chosen = staff.get(PLANNING, {"date": DAY.isoformat(), "activite": world.aps_a.pk})
    text = visible_text(chosen)
    assert "Journée du lun. 07/12 fermée le 26/11/2026 12:00. Motif : Grève du personnel" in text
    assert "Fermer la journée" not in text and "Modifier les places" not in text
    assert reverse("staff:day_audit") in chosen.content.decode()
    # the kitchen's week: the closed day says so with its reason (issue 18 point 6), not 0 meals
    meals = visible_text(staff.get(reverse("staff:meals"), {"semaine": DAY.isoformat()}))
    assert "Repas RESTAURATION Fermé : Grève 0 —" in meals
    # the fill rates: no row for a closed day
    fill = queries.fill_rates(world.aps_a, DAY.year, DAY.month)
    assert DAY not in [row.day for row in fill]
    assert world.aps_a not in queries.open_activities([world.aps_a, world.cantine_a], DAY)
    # posting again on the closed day: not found, nothing changed
    before = fingerprint()
    response = staff.post(reverse("staff:capacity"), {**data["capacity"], "motif": "Renfort"})
    assert response.status_code == 404
    assert fingerprint() == before


def test_the_admin_shows_a_closed_day_and_cannot_reopen_it(staff, world, full_day):
    data = _posts(world, full_day)
    staff.post(reverse("staff:close"), {**data["close"], "motif": "Grève du personnel"})
    opening = Opening.objects.get(activity=world.aps_a, date=DAY)
    url = reverse("admin:structures_opening_change", args=[opening.pk])
    html = staff.get(url).content.decode()
    assert "Grève du personnel" in html and 'name="closure_reason"' not in html and 'name="closed_at"' not in html
    staff.post(url, {"activity": world.aps_a.pk, "date": DAY.isoformat(), "capacity": "4", "waiting_list_capacity": ""})
    kept = Opening.objects.get(pk=opening.pk)
    assert kept.is_closed and kept.closure_reason == "Grève du personnel"


def test_the_reason_refusal_and_the_engine_refusals_follow_the_staff_members_language(staff, world, full_day):
    world.staff_a.language = "en"
    world.staff_a.save(update_fields=["language"])
    data = _posts(world, full_day)
    response = staff.post(reverse("staff:close"), data["close"])
    assert response.status_code == 400 and "Please give a reason." in visible_text(response)
    response = staff.post(reverse("staff:promote"), {**data["promote"], "motif": "Priorité"})
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "No free place: raise this day's places first." in text


def test_the_outcomes_follow_the_staff_members_language_and_plural_rule(staff, world, full_day):
    data = _posts(world, full_day)
    response = staff.post(reverse("staff:capacity"), {**data["capacity"], "places": 2, "motif": "Renfort"})
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "1 enfant promu depuis la liste d'attente : ATTENTE0 Enfant0." in text
    world.staff_a.language = "en"
    world.staff_a.save(update_fields=["language"])
    response = staff.post(reverse("staff:close"), {**data["close"], "motif": "Grève"})
    text = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert "APS MATIN closed on" in text and ": 4 bookings cancelled, the families are told by e-mail." in text
