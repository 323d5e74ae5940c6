"""H1–H2 "Historiques": consumptions of the current and previous month,
arrows between them, a print layout, CSV and XLSX exports."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portail.booking import history
from portail.family.access import current_family
from portail.family.params import BadValue, parse_month
from portail.family.views import family_required
from portail.lib.dates import MONTH_NAMES


def _month(request):
    previous, current = history.allowed_months(timezone.localdate())
    value = request.GET.get("mois")
    if not value:
        return current, previous, current
    try:
        chosen = parse_month(value)
    except BadValue:
        chosen = current
    # Only the current and the previous month are shown (H1).
    return (chosen if chosen in (previous, current) else current), previous, current


def _label(year_month):
    return f"{MONTH_NAMES[year_month[1] - 1].capitalize()} {year_month[0]}"


@require_GET
@family_required
def history_page(request):
    family = current_family(request)
    (year, month), previous, current = _month(request)
    consumptions = history.family_consumptions(family, year, month)
    export = request.GET.get("format")
    filename = f"historique-{family.last_name.lower()}-{year:04d}-{month:02d}"
    if export == "csv":
        response = HttpResponse(history.to_csv(consumptions), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if export == "xlsx":
        response = HttpResponse(
            history.to_xlsx(consumptions, _label((year, month))),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    return render(
        request,
        "family/history.html",
        {
            "consumptions": consumptions,
            "month_label": _label((year, month)),
            "month_value": f"{year:04d}-{month:02d}",
            "previous": f"{previous[0]:04d}-{previous[1]:02d}" if (year, month) == current else None,
            "next": f"{current[0]:04d}-{current[1]:02d}" if (year, month) == previous else None,
        },
    )
