"""The CAF figures screen (issue 18 point 10): a structure's hours and days
attended over a period, by activity and age band, as a table, CSV and XLSX.
The figures come from staff/caf.py; this module reads the form, scopes the
structure and chooses the answer's format."""

import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from portail.booking.states import month_bounds
from portail.lib.dates import MONTH_NAMES
from portail.lib.downloads import content_disposition
from portail.lib.validators import FIRST_DATE, LAST_DATE
from portail.staff import caf
from portail.staff.access import page, scoped, scoped_structures, staff_required
from portail.staff.forms import CafForm, read

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period_label(start, end):
    """« décembre 2026 » for a whole month, else « du 01/12/2026 au 15/12/2026 »."""
    if (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and month_bounds(start.year, start.month)[1] == end
    ):
        return f"{MONTH_NAMES[start.month - 1]} {start.year}"
    return _("du %(start)s au %(end)s") % {"start": f"{start:%d/%m/%Y}", "end": f"{end:%d/%m/%Y}"}


def _month_link(day):
    """The whole month holding `day`, for the « mois précédent / suivant » links; None outside 2000–2100."""
    if not FIRST_DATE <= day <= LAST_DATE:
        return None
    first, last = month_bounds(day.year, day.month)
    return {"du": first, "au": last, "label": f"{MONTH_NAMES[day.month - 1]} {day.year}"}


def _sources(figures):
    """Where an activity's hours came from, in words: « 12 jours aux horaires du pointage, 1 jour aux horaires réservés »."""
    words = {
        caf.HoursFrom.ROLL_CALL: lambda n: ngettext(
            "%(n)s jour aux horaires du pointage", "%(n)s jours aux horaires du pointage", n
        ),
        caf.HoursFrom.BOOKING: lambda n: ngettext(
            "%(n)s jour aux horaires réservés", "%(n)s jours aux horaires réservés", n
        ),
        caf.HoursFrom.ACTIVITY: lambda n: ngettext(
            "%(n)s jour aux horaires de l'activité", "%(n)s jours aux horaires de l'activité", n
        ),
        caf.HoursFrom.NONE: lambda n: ngettext("%(n)s jour sans heures", "%(n)s jours sans heures", n),
    }
    counts = [(source, figures.sources.get(source, 0)) for source in caf.HoursFrom]  # the enum's order
    return ", ".join(words[source](n) % {"n": n} for source, n in counts if n)


@require_GET
@staff_required
def caf_figures(request):
    """Hours actually attended per child, by activity and age band (under 6 / 6
    and over), and days, over a month or a period of one structure (staff/caf.py)."""
    params = read(CafForm, request.GET)
    structures = list(scoped_structures(request.user))
    if params["structure"] is not None:
        structure = scoped(scoped_structures(request.user), request.user, params["structure"])
    else:
        structure = structures[0] if structures else None
    today = timezone.localdate()
    start, end = params["du"], params["au"]
    if start is None:
        start, end = month_bounds(today.year, today.month)
    context = {
        "title": _("Chiffres CAF"),
        "structures": structures,
        "structure": structure,
        "start": start,
        "end": end,
        "period_label": _period_label(start, end),
        "previous_month": _month_link(start - datetime.timedelta(days=1)),
        "next_month": _month_link(month_bounds(end.year, end.month)[1] + datetime.timedelta(days=1)),
    }
    if structure is None:
        return page(request, "staff/caf.html", context)
    report = caf.caf_report(structure, start, end, today)
    if params["format"]:
        rows = caf.table_rows(report)
        parts = ["chiffres-caf", structure.name, f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"]
        if params["format"] == "csv":
            response = HttpResponse(caf.to_csv(rows), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(caf.to_xlsx(rows, _("Chiffres CAF")), content_type=XLSX)
        response["Content-Disposition"] = content_disposition("attachment", parts, params["format"])
        return response
    context.update(report=report, summary=[(a, _sources(a)) for a in report.activities])
    return page(request, "staff/caf.html", context)
