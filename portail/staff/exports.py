"""Files the staff screens produce: the attendance sheet as PDF (A4, the
header row repeated on every page, page numbers) and the fill rates as CSV
(UTF-8 with a BOM and ';', as Excel in French expects)."""

import io

from django.utils import dateformat, timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from portail.lib.dates import long_date, short_day

# staff/views.py names its files through this module.
from portail.lib.downloads import content_disposition as content_disposition
from portail.lib.spreadsheets import excel_csv
from portail.lib.validators import strip_control_characters

# The canvas and the escaping are shared with the invoices (billing), in web/pdf.py.
from portail.web.pdf import MARGIN as MARGIN
from portail.web.pdf import NumberedCanvas as _NumberedCanvas
from portail.web.pdf import escape as _escape


def _child_name(child):
    return f"{child.last_name.upper()} {child.first_name}"


def _name_and_marks(child):
    """The child's name and, in bold under it, its health marks (issue 17:
    « Allergie alimentaire », « PAI », the diet — never the medical text)."""
    name = _escape(_child_name(child))
    marks = getattr(child, "health_marks", None)
    return f"{name}<br/><b>{_escape(marks.text)}</b>" if marks else name


def _people(child):
    """The people allowed to collect the child (issue 17), one a line: name (relationship) phone."""
    lines = []
    for person in getattr(child, "health_people", []):
        line = f"{person.name} ({person.relationship}) {person.phone}"
        if not person.can_pick_up:
            line += " — " + gettext("urgence seulement")
        lines.append(_escape(line))
    return "<br/>".join(lines)


def attendance_pdf(activity_days):
    """The attendance sheet of one or more activities of a day, one section each."""
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=9, leading=11)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=14 * mm,
        title=gettext("Feuille de présence"), author=gettext("Portail Famille"),
    )  # fmt: skip
    story = []
    for index, planning in enumerate(activity_days):
        if index:
            story.append(PageBreak())
        activity = planning.activity
        story.append(
            Paragraph(gettext("Feuille de présence — %(name)s") % {"name": _escape(activity.name)}, styles["Title"])
        )
        story.append(
            Paragraph(
                f"{_escape(activity.structure.name)} — {long_date(planning.day).capitalize()} — {planning.places_label}",
                styles["Normal"],
            )
        )
        story.append(Spacer(1, 4 * mm))
        header = [gettext("N°"), gettext("Enfant"), gettext("Classe"), gettext("Âge")]
        if activity.has_times:
            header.append(gettext("Horaires"))
        header += [gettext("Présent"), gettext("Absent"), gettext("Personnes autorisées"), gettext("Observations")]
        rows = [header]
        for n, booking in enumerate(planning.accepted, start=1):
            row = [str(n), Paragraph(_name_and_marks(booking.child), cell),
                   strip_control_characters(booking.child.school_class),
                   ngettext("%(age)s an", "%(age)s ans", booking.age) % {"age": booking.age}]  # fmt: skip
            if activity.has_times:
                row.append(_times(booking))
            row += ["", "", Paragraph(_people(booking.child), cell), ""]
            rows.append(row)
        if len(rows) == 1:
            rows.append(["", Paragraph(gettext("Aucun enfant inscrit."), cell)] + [""] * (len(header) - 2))
        widths = [10 * mm, None, 20 * mm, 14 * mm] + ([24 * mm] if activity.has_times else []) + [16 * mm] * 2
        fixed = sum(w for w in widths if w)
        name_width = (A4[0] - 2 * MARGIN - fixed) * 0.35
        people_width = (A4[0] - 2 * MARGIN - fixed) * 0.38
        widths[1] = name_width
        widths += [people_width, A4[0] - 2 * MARGIN - fixed - name_width - people_width]
        table = Table(rows, colWidths=widths, repeatRows=1)
        box_columns = (len(header) - 4, len(header) - 3)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                    ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("BOX", (box_columns[0], 1), (box_columns[1], -1), 1, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f7f7")]),
                    ("TOPPADDING", (0, 1), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 1), (-1, -1), 4),
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 5 * mm))
        story.append(
            Paragraph(
                ngettext(
                    "Total : %(n)d enfant attendu — présents : ........ — absents : ........",
                    "Total : %(n)d enfants attendus — présents : ........ — absents : ........",
                    len(planning.accepted),
                )
                % {"n": len(planning.accepted)},
                styles["Normal"],
            )
        )
        story.append(Spacer(1, 8 * mm))
        story.append(
            Paragraph(
                gettext("Nom et signature de l'animateur : ........................................"), styles["Normal"]
            )
        )
    printed = dateformat.format(timezone.localtime(), gettext("d/m/Y à H:i"))
    footer = gettext("Feuille de présence") + (f" — {short_day(activity_days[0].day)}" if activity_days else "")
    footer = gettext("%(footer)s — imprimée le %(printed)s") % {"footer": footer, "printed": printed}
    doc.build(story, canvasmaker=lambda *a, **k: _NumberedCanvas(*a, footer=footer, **k))
    return buffer.getvalue()


def _times(booking):
    if booking.arrival and booking.departure:
        return f"{booking.arrival:%H:%M} – {booking.departure:%H:%M}"
    return ""


# Lazy: the file is written in the language of the request that asks for it.
FILL_COLUMNS = [gettext_lazy("Date"), gettext_lazy("Jour"), gettext_lazy("Réservés"), gettext_lazy("Places"),
                gettext_lazy("Taux de remplissage (%)"), gettext_lazy("Liste d'attente"),
                gettext_lazy("Places en liste d'attente")]  # fmt: skip


def fill_rates_csv(rows):
    """The fill rates of a month for Excel in French; an empty cell for an
    unlimited activity's places and rate."""
    return excel_csv(
        FILL_COLUMNS,
        (
            [
                row.day.strftime("%d/%m/%Y"),
                short_day(row.day).split()[0],
                row.accepted,
                row.capacity,
                row.rate,
                row.waitlisted,
                row.waiting_list_capacity,
            ]
            for row in rows
        ),
    )
