"""The kitchen's week as PDF (issue 18 point 6): A4 landscape, one table per
site (structure) with each meal's children by day and age band, the days
closed by staff written as such ("Fermé : grève"), the sites' total last.
Made like the attendance sheet (staff/exports.py: its numbered pages, margins
and text escaping)."""

import io

from django.utils import dateformat, timezone
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portail.lib.dates import long_date, short_day
from portail.staff.exports import MARGIN, _escape, _NumberedCanvas

PAGE = landscape(A4)


class _LandscapeCanvas(_NumberedCanvas):
    """The attendance sheet's numbered canvas, its page number placed for a landscape page."""

    page_width = PAGE[0]


def _number(cell):
    return "—" if cell.total is None else str(cell.total)


def _cells(cells, style, band=None):
    """A row's day cells: the count (of an age band), or the closure, or "—"."""
    out = []
    for cell in cells:
        if cell.closed:
            out.append(Paragraph(_escape(cell.closed), style) if band is None else "")
        elif cell.total is None:
            out.append("—")
        else:
            out.append(str({None: cell.total, "moins6": cell.under_6, "6plus": cell.six_and_over}[band]))
    return out


def _table(header, rows, bold_rows):
    widths = [70 * mm] + [(PAGE[0] - 2 * MARGIN - 70 * mm) / (len(header) - 1)] * (len(header) - 1)
    table = Table([header, *rows], colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
    ]
    for index in bold_rows:
        style += [("FONT", (0, index), (-1, index), "Helvetica-Bold", 9)]
    table.setStyle(TableStyle(style))
    return table


def _meal_marks(site, styles):
    """Issue 17: the site's meals with a food allergy, a PAI or a diet, per day,
    and whose — the marks only, never the medical text (views.meals sets
    `site.health_days` from dossier.health.kitchen_marks)."""
    days = getattr(site, "health_days", [])
    if not days:
        return []
    title = gettext("Allergies et régimes — %(site)s") % {"site": site.structure.name}
    flow = [Paragraph(_escape(title), styles["Heading3"])]
    for day, marks in days:
        flow.append(Paragraph(f"<b>{_escape(short_day(day))}</b> : {_escape(marks.summary)}", styles["BodyText"]))
        for name, activity, child_marks in marks.children:
            line = f"{name} ({activity}) — {child_marks.text}"
            flow.append(Paragraph(_escape(line), styles["BodyText"], bulletText="•"))
    return flow


def meals_pdf(week, monday):
    """The kitchen's week (queries.kitchen_week) of the week starting `monday`."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("kitchen-cell", fontSize=8, leading=10, alignment=1)
    buffer = io.BytesIO()
    title = gettext("Repas de la semaine du %(day)s") % {"day": long_date(monday)}
    doc = SimpleDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=14 * mm,
        title=title, author=gettext("Portail Famille"),
    )  # fmt: skip
    story = [Paragraph(_escape(title), styles["Title"])]
    header = [gettext("Repas")] + [short_day(day) for day in week.days]
    under, over = gettext("dont moins de 6 ans"), gettext("dont 6 ans et plus")
    for site in week.sites:
        if not site.meals:
            continue
        rows, bold = [], []
        for row in site.meals:
            rows.append([Paragraph(_escape(row.activity.name), styles["BodyText"]), *_cells(row.cells, cell)])
            rows.append([under, *_cells(row.cells, cell, "moins6")])
            rows.append([over, *_cells(row.cells, cell, "6plus")])
        bold.append(len(rows) + 1)
        rows.append([gettext("Total des repas"), *_cells(site.totals, cell)])
        rows.append([under, *_cells(site.totals, cell, "moins6")])
        rows.append([over, *_cells(site.totals, cell, "6plus")])
        story.append(
            KeepTogether([Paragraph(_escape(site.structure.name), styles["Heading2"]), _table(header, rows, bold)])
        )
        story += _meal_marks(site, styles)
        story.append(Spacer(1, 4 * mm))
    if len([s for s in week.sites if s.meals]) > 1:
        rows = [
            [gettext("Total des repas, toutes structures"), *[_number(c) for c in week.totals]],
            [under, *_cells(week.totals, cell, "moins6")],
            [over, *_cells(week.totals, cell, "6plus")],
        ]
        story.append(
            KeepTogether([Paragraph(gettext("Toutes structures"), styles["Heading2"]), _table(header, rows, [1])])
        )
    if not week.has_meals:
        story.append(Paragraph(gettext("Aucun repas cette semaine."), styles["Normal"]))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(
            gettext(
                "Enfants dont la réservation est acceptée ; l'âge est celui du jour. « — » : pas de repas ce jour."
            ),
            styles["Normal"],
        )
    )
    printed = dateformat.format(timezone.localtime(), gettext("d/m/Y à H:i"))
    footer = gettext("%(footer)s — imprimée le %(printed)s") % {
        "footer": gettext("Repas de la semaine du %(day)s") % {"day": short_day(monday)},
        "printed": printed,
    }
    doc.build(story, canvasmaker=lambda *a, **k: _LandscapeCanvas(*a, footer=footer, **k))
    return buffer.getvalue()
