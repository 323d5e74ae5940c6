"""The CAF figures (issue 18 point 10): what a structure declares to the caisse
d'allocations familiales for its prestation de service ordinaire — hours
actually attended per child, by activity and age band, and days for leisure
centres. Plain functions over the database, no request: the staff screen
(caf_views.py) and its CSV/XLSX exports read the same `CafReport`.

How each figure is computed (the page says the same to the clerk, CAF_RULES):

- Only what the roll call recorded counts: a `Consumption` marked present. A
  booking nobody pointed is not counted; the report gives how many there are,
  so the figures are not declared half-done without knowing it.
- A day is one child present on one activity on one date.
- Its minutes, for an activity with times ("à horaires"): the roll call's
  arrival and departure; when the roll call holds no times, the booked ones
  (the accepted booking of that child, activity and day); without those, the
  activity's hours (arrivée au plus tôt → départ au plus tard).
- For an activity without times (a leisure centre's whole day): the day
  counts, and its hour equivalent is the activity's declared daily range
  (arrivée au plus tôt → départ au plus tard) when both are filled in, which
  the admin allows for any activity; without that range the activity gives
  days only (hours shown as "—").
- Age band: the child's age on the day attended (under 6 / 6 and over): a
  child who turns 6 during the period counts in both bands, from the birthday on.
- Rounding, in one place (`hours`): minutes are summed, exactly, for each
  figure (a child's line, an activity's total, the grand total), then
  converted to hours with two decimals, half up. A total is never a sum of
  rounded lines, so it may differ from that sum by a few hundredths.
"""

import datetime
import enum
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef
from django.utils.translation import gettext, gettext_lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from portail.booking.models import Booking, BookingStatus, Consumption
from portail.lib.spreadsheets import excel_csv, safe_row
from portail.lib.times import minutes
from portail.structures.models import Activity, Child, Structure

# The age that splits the CAF's two bands.
AGE_LIMIT = 6
HUNDREDTH = Decimal("0.01")


class Band(enum.Enum):
    UNDER_6 = "under_6"
    SIX_AND_OVER = "six_and_over"


class HoursFrom(enum.Enum):
    """Where a day's minutes came from (the report counts each source)."""

    ROLL_CALL = "roll_call"
    BOOKING = "booking"
    ACTIVITY = "activity"
    NONE = "none"  # an activity without times and without a declared range: a day, no hours


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Age in whole years on `day` (a child born on 29 February is a year older on 1 March)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def band_on(birth_date: datetime.date, day: datetime.date) -> Band:
    """The CAF age band of a child on the day attended: 6 from the 6th birthday on."""
    return Band.UNDER_6 if age_on(birth_date, day) < AGE_LIMIT else Band.SIX_AND_OVER


def hours(total_minutes: int) -> Decimal:
    """Minutes as hours with two decimals, half up: the one rounding of the report (90 -> 1.50, 5 -> 0.08)."""
    return (Decimal(total_minutes) / 60).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def span(start: datetime.time | None, end: datetime.time | None) -> int | None:
    """Minutes from `start` to `end`, or None when either is missing or `end` is not after `start`
    (times entered in the admin are not checked against each other)."""
    if start is None or end is None:
        return None
    length = minutes(end) - minutes(start)
    return length if length > 0 else None


def declared_day_minutes(activity: Activity) -> int | None:
    """The activity's hours (arrivée au plus tôt → départ au plus tard) in minutes, if declared."""
    return span(activity.earliest_time, activity.latest_time)


@dataclass
class Figures:
    """Days and minutes attended; hours computed from the summed minutes."""

    days: int = 0
    minutes: int = 0

    def add(self, day_minutes: int | None) -> None:
        self.days += 1
        self.minutes += day_minutes or 0

    @property
    def hours(self) -> Decimal:
        return hours(self.minutes)


@dataclass
class BandFigures:
    """The two age bands and their total."""

    under_6: Figures = field(default_factory=Figures)
    six_and_over: Figures = field(default_factory=Figures)
    total: Figures = field(default_factory=Figures)

    @property
    def parts(self) -> tuple[Figures, Figures, Figures]:
        """Under 6, 6 and over, total: the order of the table's columns."""
        return self.under_6, self.six_and_over, self.total

    def add(self, band: Band, day_minutes: int | None) -> None:
        (self.under_6 if band is Band.UNDER_6 else self.six_and_over).add(day_minutes)
        self.total.add(day_minutes)


@dataclass
class ChildLine:
    child: Child
    figures: BandFigures = field(default_factory=BandFigures)


@dataclass
class ActivityFigures:
    activity: Activity
    # False for an activity without times nor declared range: its hours are shown as "—".
    counts_hours: bool
    lines: list[ChildLine] = field(default_factory=list)
    figures: BandFigures = field(default_factory=BandFigures)
    sources: dict[HoursFrom, int] = field(default_factory=dict)
    # Accepted bookings of days already past (or today) that the roll call never recorded.
    not_recorded: int = 0


@dataclass
class CafReport:
    structure: Structure
    start: datetime.date
    end: datetime.date
    activities: list[ActivityFigures]
    figures: BandFigures

    @property
    def not_recorded(self) -> int:
        return sum(a.not_recorded for a in self.activities)


def _day_minutes(
    consumption: Consumption, booked: dict[tuple[int, int, datetime.date], tuple[Any, Any]]
) -> tuple[int | None, HoursFrom]:
    """One present day's minutes and where they came from (the module's docstring)."""
    activity = consumption.activity
    if not activity.has_times:
        declared = declared_day_minutes(activity)
        return declared, HoursFrom.NONE if declared is None else HoursFrom.ACTIVITY
    recorded = span(consumption.arrival, consumption.departure)
    if recorded is not None:
        return recorded, HoursFrom.ROLL_CALL
    booking_times = booked.get((consumption.child_id, consumption.activity_id, consumption.date))
    from_booking = span(*booking_times) if booking_times else None
    if from_booking is not None:
        return from_booking, HoursFrom.BOOKING
    declared = declared_day_minutes(activity)
    return declared, HoursFrom.NONE if declared is None else HoursFrom.ACTIVITY


def caf_report(structure: Structure, start: datetime.date, end: datetime.date, today: datetime.date) -> CafReport:
    """The CAF figures of `structure` from `start` to `end` (both included), in
    four queries whatever the number of days, children or activities. `today`
    bounds the bookings counted as "not recorded" (a future day cannot be)."""
    known = {activity.pk: activity for activity in Activity.objects.filter(structure=structure)}
    consumptions = list(
        Consumption.objects.filter(activity__structure=structure, date__range=(start, end), present=True)
        .select_related("child")
        .order_by("activity_id", "child__last_name", "child__first_name", "child_id", "date")
    )
    booked: dict[tuple[int, int, datetime.date], tuple[Any, Any]] = {
        (child_id, activity_id, day): (arrival, departure)
        for child_id, activity_id, day, arrival, departure in Booking.objects.filter(
            activity__structure=structure,
            activity__has_times=True,
            status=BookingStatus.ACCEPTED,
            date__range=(start, end),
            arrival__isnull=False,
            departure__isnull=False,
        ).values_list("child_id", "activity_id", "date", "arrival", "departure")
    }
    recorded = Consumption.objects.filter(
        child_id=OuterRef("child_id"), activity_id=OuterRef("activity_id"), date=OuterRef("date")
    )
    not_recorded = (
        Booking.objects.filter(
            activity__structure=structure, status=BookingStatus.ACCEPTED, date__range=(start, min(end, today))
        )
        .exclude(Exists(recorded))
        .values("activity_id")
        .annotate(n=Count("pk"))
        .values_list("activity_id", "n")
    )

    activities: dict[int, ActivityFigures] = {}

    def of(activity_id: int) -> ActivityFigures:
        if activity_id not in activities:
            activity = known[activity_id]
            declared = declared_day_minutes(activity) is not None
            activities[activity_id] = ActivityFigures(activity=activity, counts_hours=activity.has_times or declared)
        return activities[activity_id]

    for activity_id, count in not_recorded:
        of(activity_id).not_recorded = count
    total = BandFigures()
    for consumption in consumptions:
        activity_figures = of(consumption.activity_id)
        consumption.activity = activity_figures.activity
        lines = activity_figures.lines
        if not lines or lines[-1].child.pk != consumption.child_id:
            lines.append(ChildLine(consumption.child))
        day_minutes, source = _day_minutes(consumption, booked)
        band = band_on(consumption.child.birth_date, consumption.date)
        lines[-1].figures.add(band, day_minutes)
        activity_figures.figures.add(band, day_minutes)
        activity_figures.sources[source] = activity_figures.sources.get(source, 0) + 1
        total.add(band, day_minutes)
    ordered = sorted(activities.values(), key=lambda a: (a.activity.name, a.activity.pk))
    return CafReport(structure=structure, start=start, end=end, activities=ordered, figures=total)


# ---------------------------------------------------------------- the table and its files

# Lazy: the header is read in the language of the request that asks for it.
COLUMNS = [
    gettext_lazy("Activité"), gettext_lazy("Enfant"), gettext_lazy("Date de naissance"),
    gettext_lazy("Jours, moins de 6 ans"), gettext_lazy("Heures, moins de 6 ans"),
    gettext_lazy("Jours, 6 ans et plus"), gettext_lazy("Heures, 6 ans et plus"),
    gettext_lazy("Jours, total"), gettext_lazy("Heures, total"),
]  # fmt: skip


def columns() -> list[str]:
    """The table's header in the active language (plain str: openpyxl takes no lazy text)."""
    return [str(c) for c in COLUMNS]


def _cells(figures: BandFigures, counts_hours: bool) -> list[Any]:
    cells: list[Any] = []
    for part in figures.parts:
        cells += [part.days, part.hours if counts_hours else None]
    return cells


def table_rows(report: CafReport) -> list[list[Any]]:
    """The rows of the screen's detailed table and of both files, in the same
    order: each activity's children, then its total; the grand total last.
    Hours are Decimals (None: the activity gives days only); birth dates are dates."""
    rows: list[list[Any]] = []
    for activity in report.activities:
        name = activity.activity.name
        for line in activity.lines:
            child = line.child
            rows.append(
                [name, f"{child.last_name.upper()} {child.first_name}", child.birth_date]
                + _cells(line.figures, activity.counts_hours)
            )
        rows.append([name, gettext("Total de l'activité"), None] + _cells(activity.figures, activity.counts_hours))
    if report.activities:
        rows.append(["", gettext("Total général"), None] + _cells(report.figures, True))
    return rows


def _csv_cell(value: Any) -> Any:
    # Excel in French: the decimal comma, dates as it types them.
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return value


def to_csv(rows: Iterable[Sequence[Any]]) -> str:
    """The table as a CSV for Excel in French (lib.spreadsheets: ';', BOM, no formula)."""
    return excel_csv(columns(), ([_csv_cell(v) for v in row] for row in rows))


def to_xlsx(rows: Iterable[Sequence[Any]], title: str) -> bytes:
    """The table as an Excel workbook: hours as numbers with two decimals, dates as dates."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one worksheet, active
    sheet.title = title[:31]  # the caller's fixed words: no character a sheet's name refuses
    sheet.append(columns())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(safe_row(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, (Decimal, float)):
                cell.number_format = "0.00"
            elif isinstance(cell.value, datetime.date | datetime.datetime):
                cell.number_format = "DD/MM/YYYY"
    for column, width in zip("ABCDEFGHI", (24, 28, 14, 12, 12, 12, 12, 12, 12), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
