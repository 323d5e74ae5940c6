"""H1–H2 "Historiques": consumptions of the current and previous month,
arrows between them, a print layout, CSV and XLSX exports."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portail.booking import history
from portail.family.forms import HistoryForm
from portail.lib import dates
from portail.lib.dates import MONTH_NAMES
from portail.web.errors import bad_request
from portail.web.family import current_family, family_required


def _month(chosen):
    previous, current = history.allowed_months(timezone.localdate())
    # Only the current and the previous month are shown (H1): any other month,
    # or a malformed one, shows the current month.
    return (chosen if chosen in (previous, current) else current), previous, current


def _label(year_month):
    return f"{MONTH_NAMES[year_month[1] - 1].capitalize()} {year_month[0]}"


@require_GET
@family_required
def history_page(request):
    family = current_family(request)
    form = HistoryForm(request.GET)
    form.is_valid()
    if "format" in form.errors:
        return bad_request(request, form.errors["format"][0])
    (year, month), previous, current = _month(form.cleaned_data.get("mois"))
    consumptions = history.family_consumptions(family, year, month)
    export = form.cleaned_data["format"]
    if export == "csv":
        response = HttpResponse(history.to_csv(consumptions), content_type="text/csv; charset=utf-8")
        filename = history.export_filename(family.last_name, year, month, "csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    if export == "xlsx":
        response = HttpResponse(
            history.to_xlsx(consumptions, _label((year, month))),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename = history.export_filename(family.last_name, year, month, "xlsx")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return render(
        request,
        "family/history.html",
        {
            "consumptions": consumptions,
            "month_label": _label((year, month)),
            # Inside a sentence: « octobre 2026 » in French (issue 14 point 4).
            "month_name": dates.month_year(year, month),
            "month_value": f"{year:04d}-{month:02d}",
            "previous": f"{previous[0]:04d}-{previous[1]:02d}" if (year, month) == current else None,
            "next": f"{current[0]:04d}-{current[1]:02d}" if (year, month) == previous else None,
        },
    )
