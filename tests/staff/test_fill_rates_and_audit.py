"""Fill rates per opening day of a month (table, SVG chart, CSV) and the
audit trail of a family's and of one booking's changes (B7)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from portail.booking import drafts
from portail.booking.confirm import confirm_draft
from portail.booking.models import AuditSource, Booking, BookingAudit, BookingStatus
from portail.staff import views as staff_views
from portail.structures.models import Opening
from tests.helpers import make_booking, page_text
from tests.staff.conftest import DAY, NOW, visible_text

FILL = reverse("staff:fill_rates")


def test_fill_rates_table_chart_and_csv(staff, world, full_day):
    Opening.objects.create(activity=world.aps_a, date=datetime.date(2026, 12, 8), capacity=4)
    make_booking(
        child=world.amalia, activity=world.aps_a, date=datetime.date(2026, 12, 8), status=BookingStatus.ACCEPTED
    )
    response = staff.get(FILL, {"activite": world.aps_a.pk, "mois": "2026-12"})
    html, text = page_text(response), visible_text(response)
    assert "APS MATIN — décembre 2026" in text
    assert "lun. 07/12 1 1 100 % 3 5" in text and "mar. 08/12 1 4 25 % 0 5" in text
    assert '<svg role="img" aria-labelledby="graphique-titre graphique-desc"' in html
    assert "<title>lun. 07/12 : 1 / 1 places (100 %), 3 en liste d'attente</title>" in html
    assert "<title>mar. 08/12 : 1 / 4 places (25 %)</title>" in html
    assert f"?activite={world.aps_a.pk}&mois=2026-11" in html

    response = staff.get(FILL, {"activite": world.aps_a.pk, "mois": "2026-12", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv") and "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Date", "Jour", "Réservés"]
    assert rows[1] == ["07/12/2026", "lun.", "1", "1", "100", "3", "5"]
    assert rows[2] == ["08/12/2026", "mar.", "1", "4", "25", "0", "5"]


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "décembre"])
def test_malformed_months_are_a_400(staff, world, month):
    assert staff.get(FILL, {"activite": world.aps_a.pk, "mois": month}).status_code == 400


def test_fill_rates_of_a_month_without_openings(staff, world):
    text = visible_text(staff.get(FILL, {"activite": world.aps_a.pk, "mois": "2027-03"}))
    assert "n'est ouverte aucun jour en mars 2027" in text


def test_family_audit_newest_first_with_who(staff, world, full_day):
    paolo, waiting = full_day
    BookingAudit.objects.create(
        booking=paolo, at=NOW - datetime.timedelta(days=2), actor=world.dupont, source=AuditSource.FAMILY,
        to_status=BookingStatus.ACCEPTED,
    )  # fmt: skip
    BookingAudit.objects.create(
        booking=paolo, at=NOW - datetime.timedelta(days=1), actor=None, source=AuditSource.RUN,
        from_status=BookingStatus.ACCEPTED, to_status=BookingStatus.ACCEPTED, note="Transmis",
    )  # fmt: skip
    staff.post(reverse("staff:cancel"), {"reservation": paolo.pk, "motif": "Enfant malade"})
    BookingAudit.objects.create(booking=waiting[1], actor=None, source=AuditSource.FAMILY, to_status="waitlisted")

    text = visible_text(staff.get(reverse("staff:family_audit", args=[world.family_a.pk])))
    text = text.split("Toutes les réservations de la famille")[1]  # after the cancellation's message
    lines = [
        "26/11/2026 12:00 AGENT Alice DUPONT Paolo APS MATIN lun. 07/12 Acceptée → Annulée Enfant malade",
        "25/11/2026 12:00 Traitement DUPONT Paolo APS MATIN lun. 07/12 Acceptée → Acceptée Transmis",
        "24/11/2026 12:00 DUPONT Jean-Paul (famille) DUPONT Paolo APS MATIN lun. 07/12 — → Acceptée",
    ]
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions)
    assert "ATTENTE" not in text  # other families' changes (the promotion of ATTENTE0 included)

    text = visible_text(staff.get(reverse("staff:booking_audit", args=[waiting[0].pk])))
    assert "AGENT Alice ATTENTE0 Enfant0 APS MATIN lun. 07/12 En liste d'attente → Acceptée" in text
    text = visible_text(staff.get(reverse("staff:booking_audit", args=[waiting[1].pk])))
    assert "Famille ATTENTE1 Enfant1" in text
    assert DAY.isoformat() in page_text(staff.get(reverse("staff:booking_audit", args=[waiting[1].pk])))


def test_family_audit_shows_the_bookings_a_confirmation_made_from_its_movements(staff, world, monkeypatch):
    """B7 with registration night's lighter writes (issue 7): a booking made by a
    family's confirmation has no BookingAudit row, its Movement records it; the
    audit still shows it (who, when, "— → result", the refusal's reason), in
    time order with the other changes, on the right page."""
    tuesday = DAY + datetime.timedelta(days=1)
    opening = Opening.objects.create(activity=world.aps_a, date=tuesday)
    draft = drafts.get_draft(world.family_a, world.dupont)
    for day in (DAY, tuesday):
        drafts.toggle_day(draft, world.paolo, world.aps_a, day, now=NOW - datetime.timedelta(hours=2))
    Opening.objects.filter(pk=opening.pk).update(capacity=0, waiting_list_capacity=0)  # taken meanwhile
    result = confirm_draft(draft, draft.token, user=world.dupont, now=NOW - datetime.timedelta(hours=1))
    assert [m.outcome for m in result.movements] == [BookingStatus.ACCEPTED, BookingStatus.REFUSED]
    assert not BookingAudit.objects.exists()
    booked = Booking.objects.get(date=DAY)
    staff.post(reverse("staff:cancel"), {"reservation": booked.pk, "motif": "Enfant malade"})

    text = visible_text(staff.get(reverse("staff:family_audit", args=[world.family_a.pk])))
    lines = [
        "26/11/2026 12:00 AGENT Alice DUPONT Paolo APS MATIN lun. 07/12 Acceptée → Annulée Enfant malade",
        "26/11/2026 11:00 DUPONT Jean-Paul (famille) DUPONT Paolo APS MATIN mar. 08/12 — → Refusée Complet, liste d'attente comprise",
        "26/11/2026 11:00 DUPONT Jean-Paul (famille) DUPONT Paolo APS MATIN lun. 07/12 — → Acceptée",
    ]
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions)
    booking_page = visible_text(staff.get(reverse("staff:booking_audit", args=[booked.pk])))
    assert lines[0] in booking_page and lines[2] in booking_page and "mar. 08/12" not in booking_page

    monkeypatch.setattr(staff_views, "PAGE_SIZE", 2)
    first = visible_text(staff.get(reverse("staff:family_audit", args=[world.family_a.pk])))
    second = visible_text(staff.get(reverse("staff:family_audit", args=[world.family_a.pk]), {"page": 2}))
    assert lines[0] in first and lines[1] in first and lines[2] not in first
    assert lines[2] in second and lines[0] not in second
