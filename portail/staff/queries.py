"""What the staff screens show, each loaded in a fixed number of queries: the
count does not grow with the number of children, bookings, activities or days
shown (tests/staff/test_query_counts.py holds the planning to it)."""

import calendar
import datetime
import unicodedata
from dataclasses import dataclass, field

from django.db.models import Count, Value
from django.utils.translation import gettext, ngettext

from portail.booking.models import (
    ACTIVE_STATUSES,
    AuditSource,
    Booking,
    BookingAudit,
    BookingStatus,
    Consumption,
    Movement,
    MovementKind,
    OpeningAudit,
    ProcessingRun,
)
from portail.booking.snapshot import with_waiting_position
from portail.lib.dates import short_day
from portail.structures.models import AgeGroup, Enrolment, Opening


def age_on(birth_date, day):
    """Age in whole years on `day`."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# ---------------------------------------------------------------- planning (B6)


@dataclass
class ActivityDay:
    """One activity on one day as the staff sees it."""

    activity: object
    day: datetime.date
    opening: object = None  # None when not open that day (or closed by staff)
    closed: object = None  # the Opening closed by staff that day (B7): who, when, why
    accepted: list = field(default_factory=list)  # Booking, by child name
    waiting: list = field(default_factory=list)  # Booking with .position, in queue order
    bookable: list = field(default_factory=list)  # enrolled children without an active booking
    groups: list = field(default_factory=list)  # GroupDay, when the activity has age groups (issue 18 point 9)

    @property
    def is_open(self):
        return self.opening is not None

    @property
    def capacity(self):
        if self.groups and self.opening and self.activity.is_limited:
            return sum(g.capacity for g in self.groups)  # the groups' places are the day's
        return self.opening.effective_capacity if self.opening and self.activity.is_limited else None

    @property
    def waiting_list_capacity(self):
        if self.groups and self.opening and self.activity.is_limited:
            return sum(g.waiting_list_capacity for g in self.groups)
        return self.opening.effective_waiting_list_capacity if self.opening and self.activity.is_limited else None

    @property
    def places_label(self):
        n = len(self.accepted)
        if self.capacity is None:
            return ngettext("%(n)d enfant (places illimitées)", "%(n)d enfants (places illimitées)", n) % {"n": n}
        values = {"n": n, "capacity": self.capacity}
        return ngettext("%(n)d / %(capacity)d place", "%(n)d / %(capacity)d places", self.capacity) % values

    @property
    def free_places(self):
        return None if self.capacity is None else max(self.capacity - len(self.accepted), 0)

    def waiting_for_free_places(self):
        """The waitlisted bookings the free places could go to, first in the
        queue first; with age groups, each group's free places to its own
        queue (issue 18 point 9: a place of the Petits is not a Grand's)."""
        if not self.groups:
            return self.waiting[: self.free_places or 0]
        chosen = []
        for g in self.groups:
            free = max(g.capacity - g.accepted, 0)
            chosen += [b for b in self.waiting if b.age_group_id == g.group.pk][:free]
        return chosen

    @property
    def time_choices(self):
        return self.activity.time_choices()


@dataclass
class GroupDay:
    """An age group of an activity on a day (issue 18 point 9): its places and
    its children, counted from the day's bookings."""

    group: AgeGroup
    accepted: int = 0
    waiting: int = 0

    @property
    def capacity(self):
        return self.group.capacity

    @property
    def waiting_list_capacity(self):
        return self.group.waiting_list_capacity


def _with_ages(bookings, day):
    for booking in bookings:
        booking.age = age_on(booking.child.birth_date, day)
    return bookings


def day_planning(activities, day, *, only=None, with_bookable=True):
    """The planning of `day` for the (already scoped) `activities` open that
    day, or for `only` whether open or not. Three queries (two without the
    children one could still book)."""
    chosen = [only] if only is not None else list(activities)
    found = Opening.objects.filter(activity_id__in=[a.pk for a in chosen], date=day).select_related("closed_by")
    openings = {o.activity_id: o for o in found.order_by()}
    days = []
    for activity in chosen:
        opening = openings.get(activity.pk)
        closed = None
        if opening is not None and opening.is_closed:
            opening, closed = None, opening  # kept for its history, but not open
        if opening is None and only is None:
            continue
        if opening is not None:
            opening.activity = activity
        days.append(ActivityDay(activity=activity, day=day, opening=opening, closed=closed))
    by_activity = {d.activity.pk: d for d in days if d.is_open}
    if not by_activity:
        return days

    bookings = with_waiting_position(
        Booking.objects.filter(activity_id__in=list(by_activity), date=day, status__in=ACTIVE_STATUSES)
        .select_related("child__family")
        .order_by("child__last_name", "child__first_name", "child_id")
    )
    # Age groups (issue 18 point 9): one query, only when an open activity has some.
    grouped = [pk for pk, d in by_activity.items() if d.activity.has_age_groups]
    group_days = {}
    if grouped:
        for group in AgeGroup.objects.filter(activity_id__in=grouped).order_by("min_age"):
            group_days[group.pk] = GroupDay(group)
            by_activity[group.activity_id].groups.append(group_days[group.pk])
    booked = set()
    for booking in _with_ages(list(bookings), day):
        target = by_activity[booking.activity_id]
        group_day = group_days.get(booking.age_group_id)
        if group_day is not None:
            booking.group_name = group_day.group.name
            if booking.status == BookingStatus.ACCEPTED:
                group_day.accepted += 1
            else:
                group_day.waiting += 1
        booked.add((booking.activity_id, booking.child_id))
        if booking.status == BookingStatus.ACCEPTED:
            target.accepted.append(booking)
        else:
            booking.position = booking.earlier_in_queue + 1
            target.waiting.append(booking)
    for target in by_activity.values():
        # With age groups, each group's queue in turn (positions count within a group).
        order = {g.group.pk: n for n, g in enumerate(target.groups)}
        target.waiting.sort(key=lambda b: (order.get(b.age_group_id, -1), b.position))

    if with_bookable:
        enrolments = (
            Enrolment.objects.filter(activity_id__in=list(by_activity), start_date__lte=day, end_date__gte=day)
            .select_related("child__family")
            .order_by("child__last_name", "child__first_name", "child_id")
        )
        seen = set()
        for enrolment in enrolments:
            key = (enrolment.activity_id, enrolment.child_id)
            if key in booked or key in seen:
                continue
            seen.add(key)
            by_activity[enrolment.activity_id].bookable.append(enrolment.child)
    return days


# ---------------------------------------------------------------- roll call


@dataclass
class RollCallRow:
    child: object
    booking: object = None  # the accepted booking, None for a child who came without one
    consumption: object = None

    @property
    def key(self):
        return self.child.pk

    @property
    def arrival(self):
        if self.consumption is not None and self.consumption.arrival is not None:
            return self.consumption.arrival
        return self.booking.arrival if self.booking is not None else None

    @property
    def departure(self):
        if self.consumption is not None and self.consumption.departure is not None:
            return self.consumption.departure
        return self.booking.departure if self.booking is not None else None


def roll_call(activity, day):
    """Rows of the roll call: every accepted booking, plus the children already
    recorded without one; and the enrolled children one may still add. Three queries."""
    rows = {}
    for booking in Booking.objects.filter(activity=activity, date=day, status=BookingStatus.ACCEPTED).select_related(
        "child"
    ):
        rows[booking.child_id] = RollCallRow(child=booking.child, booking=booking)
    for consumption in Consumption.objects.filter(activity=activity, date=day).select_related("child"):
        row = rows.setdefault(consumption.child_id, RollCallRow(child=consumption.child))
        row.consumption = consumption
    addable = []
    enrolments = (
        Enrolment.objects.filter(activity=activity, start_date__lte=day, end_date__gte=day)
        .select_related("child")
        .order_by("child__last_name", "child__first_name", "child_id")
    )
    for enrolment in enrolments:
        if enrolment.child_id not in rows and all(c.pk != enrolment.child_id for c in addable):
            addable.append(enrolment.child)
    ordered = sorted(rows.values(), key=lambda r: (r.child.last_name.upper(), r.child.first_name, r.child.pk))
    for row in ordered:
        row.age = age_on(row.child.birth_date, day)
    return ordered, addable


def roll_call_row(activity, day, child):
    """One row of the roll call, after a tap (two queries)."""
    booking = Booking.objects.filter(child=child, activity=activity, date=day, status=BookingStatus.ACCEPTED).first()
    consumption = Consumption.objects.filter(child=child, activity=activity, date=day).first()
    row = RollCallRow(child=child, booking=booking, consumption=consumption)
    row.age = age_on(child.birth_date, day)
    return row


def age_band(age):
    """The CAF's age bands, used by the roll call's filter and the kitchen: "moins6" or "6plus"."""
    return "moins6" if age < 6 else "6plus"


def filter_roll_call(rows, school_class="", band="", group=None):
    """The rows of one school class, one age band and/or one of the activity's
    age groups (the child's age on the day in its range, as the engine places
    it: rules.age_group_of) — empty or None: all."""
    return [
        row
        for row in rows
        if (not school_class or row.child.school_class == school_class)
        and (not band or age_band(row.age) == band)
        and (group is None or group.min_age <= row.age <= group.max_age)
    ]


@dataclass
class RollCallCounts:
    """The roll call's live counts: présents (walk-ins included), absents, and
    attendus (the children booked), with those booked not marked yet."""

    present: int
    absent: int
    expected: int
    unmarked: int


def roll_call_counts(rows):
    marked = [r.consumption for r in rows if r.consumption is not None]
    return RollCallCounts(
        present=sum(1 for c in marked if c.present),
        absent=sum(1 for c in marked if not c.present),
        expected=sum(1 for r in rows if r.booking is not None),
        unmarked=sum(1 for r in rows if r.booking is not None and r.consumption is None),
    )


def _folded(text):
    """Lower case without accents: "Éloïse" is found by "eloise"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_children(children, query):
    """The children whose "NOM Prénom" (or "Prénom NOM") holds every word of `query`."""
    words = _folded(query).split()
    return [c for c in children if all(w in _folded(f"{c.last_name} {c.first_name}") for w in words)]


# ---------------------------------------------------------------- meals of a week


@dataclass
class KitchenCell:
    """One activity (or a site's meals) on one day: the children booked, by age
    band; `closed` the closure's text when staff closed the day ("Fermé : grève"),
    `total` None when the activity does not run that day."""

    total: int | None = None
    under_6: int = 0
    six_and_over: int = 0
    closed: str = ""

    def add(self, other):
        if other.total is not None:
            self.total = (self.total or 0) + other.total
            self.under_6 += other.under_6
            self.six_and_over += other.six_and_over


@dataclass
class KitchenRow:
    activity: object
    meal: bool
    cells: list  # KitchenCell per day


@dataclass
class KitchenSite:
    """A structure's week: its meals (activities that serve one), their totals by
    day and age band, and its other activities (children expected, no meal)."""

    structure: object
    meals: list = field(default_factory=list)
    others: list = field(default_factory=list)
    totals: list = field(default_factory=list)  # KitchenCell per day, meals only


@dataclass
class KitchenWeek:
    days: list
    sites: list
    totals: list  # KitchenCell per day, the meals of every site

    @property
    def has_meals(self):
        return any(site.meals for site in self.sites)


def closure_text(reason):
    """ "Fermé : grève", or "Fermé" when staff gave no reason."""
    return gettext("Fermé : %(reason)s") % {"reason": reason} if reason else gettext("Fermé")


def kitchen_week(activities, monday):
    """The kitchen's week from `monday`: per site (structure), the meals of every
    activity that serves one (canteen, leisure-centre days…) by day and age band
    on that day (under 6, 6 and over), the days staff closed marked with their
    reason; the other activities' children after them. Saturday and Sunday only
    when something is open or closed then. Two queries."""
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    ids = [a.pk for a in activities]
    openings = {
        (o["activity_id"], o["date"]): o
        for o in Opening.objects.filter(activity_id__in=ids, date__range=(days[0], days[-1]))
        .values("activity_id", "date", "closed_at", "closure_reason")
        .order_by()
    }
    booked = {}
    for row in (
        Booking.objects.filter(activity_id__in=ids, date__range=(days[0], days[-1]), status=BookingStatus.ACCEPTED)
        .values("activity_id", "date", "child__birth_date")
        .annotate(n=Count("id"))
        .order_by()
    ):
        cell = booked.setdefault((row["activity_id"], row["date"]), KitchenCell(total=0))
        cell.total += row["n"]
        if age_band(age_on(row["child__birth_date"], row["date"])) == "moins6":
            cell.under_6 += row["n"]
        else:
            cell.six_and_over += row["n"]
    if not any(key[1].weekday() >= 5 for key in [*openings, *booked]):
        days = days[:5]

    sites = {}
    for activity in activities:
        cells = []
        for day in days:
            opening = openings.get((activity.pk, day))
            cell = booked.get((activity.pk, day))
            if opening is not None and opening["closed_at"] is not None:
                cell = KitchenCell(closed=closure_text(opening["closure_reason"]))
            elif opening is not None:
                cell = cell or KitchenCell(total=0)
            cells.append(cell or KitchenCell())  # bookings without an opening still count
        if all(c.total is None and not c.closed for c in cells):
            continue
        site = sites.setdefault(activity.structure_id, KitchenSite(structure=activity.structure))
        row = KitchenRow(activity=activity, meal=activity.serves_meal, cells=cells)
        (site.meals if row.meal else site.others).append(row)

    totals = [KitchenCell(total=0) for _ in days]
    for site in sites.values():
        site.totals = [KitchenCell(total=0) for _ in days]
        for i, total in enumerate(site.totals):
            for row in site.meals:
                total.add(row.cells[i])
            reasons = sorted({row.cells[i].closed for row in site.meals if row.cells[i].closed})
            if reasons and all(row.cells[i].total is None for row in site.meals):
                total.closed = ", ".join(reasons)  # no meal that day: the kitchen is told why
            totals[i].add(total)
    ordered = sorted(sites.values(), key=lambda s: s.structure.name)
    return KitchenWeek(days=days, sites=ordered, totals=totals)


# ---------------------------------------------------------------- fill rates


@dataclass
class FillRow:
    day: datetime.date
    accepted: int
    waitlisted: int
    capacity: int | None
    waiting_list_capacity: int | None

    @property
    def rate(self):
        """Percentage of the places taken, None for an unlimited activity."""
        if not self.capacity:
            return None
        return round(100 * self.accepted / self.capacity)

    @property
    def label(self):
        values = {"day": short_day(self.day), "n": self.accepted, "capacity": self.capacity, "rate": self.rate}
        if self.capacity is not None:
            text = gettext("%(day)s : %(n)d / %(capacity)d places (%(rate)s %%)") % values
        else:
            text = ngettext("%(day)s : %(n)d enfant", "%(day)s : %(n)d enfants", self.accepted) % values
        if self.waitlisted:
            text += gettext(", %(n)d en liste d'attente") % {"n": self.waitlisted}
        return text


def fill_rates(activity, year, month):
    """Per opening day of the month: accepted, waiting list and capacities. Two queries."""
    first = datetime.date(year, month, 1)
    last = datetime.date(year, month, calendar.monthrange(year, month)[1])
    counts = {
        (row["date"], row["status"]): row["n"]
        for row in Booking.objects.filter(activity=activity, date__range=(first, last), status__in=ACTIVE_STATUSES)
        .values("date", "status")
        .annotate(n=Count("id"))
        .order_by()
    }
    rows = []
    for opening in Opening.objects.open().filter(activity=activity, date__range=(first, last)).order_by("date"):
        opening.activity = activity
        accepted = counts.get((opening.date, BookingStatus.ACCEPTED), 0)
        waitlisted = counts.get((opening.date, BookingStatus.WAITLISTED), 0)
        limited = activity.is_limited
        rows.append(
            FillRow(
                day=opening.date, accepted=accepted, waitlisted=waitlisted,
                capacity=opening.effective_capacity if limited else None,
                waiting_list_capacity=opening.effective_waiting_list_capacity if limited else None,
            )
        )  # fmt: skip
    return rows


def fill_chart(rows, *, bar=24, gap=8, height=160):
    """Geometry of the SVG bar chart: one bar per day, its height the share of
    the places taken (for an unlimited activity, of the month's busiest day)."""
    top = max([r.capacity or 0 for r in rows] + [r.accepted + r.waitlisted for r in rows] + [1])
    bars = []
    for i, row in enumerate(rows):
        x = 40 + i * (bar + gap)
        full = round(height * row.accepted / top)
        waiting = round(height * row.waitlisted / top)
        capacity = round(height * row.capacity / top) if row.capacity is not None else None
        bars.append(
            {
                "row": row, "x": x, "width": bar,
                "y": 10 + height - full, "height": full,
                "wait_y": 10 + height - full - waiting, "wait_height": waiting,
                "cap_y": 10 + height - capacity if capacity is not None else None, "cap_height": capacity,
                "label_x": x + bar // 2,
            }
        )  # fmt: skip
    return {"bars": bars, "width": 40 + len(rows) * (bar + gap) + 10, "height": height + 40, "base": 10 + height}


# ---------------------------------------------------------------- requests and runs (N1)


def pending_counts(structures):
    """structure id -> number of "Non transmis" movements. One query."""
    rows = (
        Movement.objects.filter(structure__in=structures, run__isnull=True)
        .values("structure_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["structure_id"]: row["n"] for row in rows}


def pending_movements(structure):
    return (
        Movement.objects.filter(structure=structure, run__isnull=True)
        .select_related("family", "booking__child", "booking__activity", "created_by")
        .order_by("created_at", "id")
    )


def recent_runs(structure, limit=30):
    """The structure's latest runs, newest first: two runs started in the same
    instant come in the order they were made (on PostgreSQL an order on
    started_at alone leaves them in any order)."""
    return list(
        ProcessingRun.objects.filter(structure=structure)
        .select_related("started_by")
        .order_by("-started_at", "-id")[:limit]
    )


# ---------------------------------------------------------------- audit (B7)


class AuditEntries:
    """One audit trail for a Paginator, newest first: the BookingAudit rows of
    some bookings; their births in families' confirmations, which only their
    Movement records (kind "book" with a confirmation; see BookingAudit),
    shown as unsaved BookingAudit rows "— → outcome" by the family's account;
    and the staff's actions on their days themselves (OpeningAudit: places
    changed, day closed). A page costs at most four queries whatever the
    history's length: the page's keys (one UNION of the tables, sorted and
    sliced by the database), then the page's rows of each table it shows."""

    def __init__(self, audits, movements, opening_audits=None):
        self.audits = audits
        self.births = movements.filter(kind=MovementKind.BOOK, confirmation__isnull=False)
        self.opening_audits = opening_audits if opening_audits is not None else OpeningAudit.objects.none()
        audit_keys = audits.order_by().annotate(table=Value(0)).values_list("at", "table", "id")
        birth_keys = self.births.order_by().annotate(table=Value(1)).values_list("created_at", "table", "id")
        opening_keys = self.opening_audits.order_by().annotate(table=Value(2)).values_list("at", "table", "id")
        parts = [birth_keys] + ([opening_keys] if opening_audits is not None else [])
        self.keys = audit_keys.union(*parts, all=True).order_by("-at", "-table", "-id")

    def count(self):
        return self.keys.count()

    def __getitem__(self, page):
        keys = list(self.keys[page])
        audits = self.audits.filter(pk__in=[pk for _, table, pk in keys if table == 0]).select_related(
            "booking__child__family", "booking__activity", "actor"
        )
        births = self.births.filter(pk__in=[pk for _, table, pk in keys if table == 1]).select_related(
            "booking__child__family", "booking__activity", "created_by"
        )
        rows = {(0, a.pk): a for a in audits}
        opening_ids = [pk for _, table, pk in keys if table == 2]
        if opening_ids:  # a family's screen has none: no query for them
            for entry in self.opening_audits.filter(pk__in=opening_ids).select_related("opening__activity", "actor"):
                rows[(2, entry.pk)] = entry
        for m in births:
            rows[(1, m.pk)] = BookingAudit(
                booking=m.booking, at=m.created_at, actor=m.created_by, source=AuditSource.FAMILY,
                to_status=m.outcome, note=m.reason,
            )  # fmt: skip
        return [rows[(table, pk)] for _, table, pk in keys]


def actor_label(entry):
    """Who made the change: the account's name, else "Famille", "Traitement"…"""
    source = getattr(entry, "source", AuditSource.STAFF)  # an OpeningAudit is always the staff's
    if entry.actor is not None:
        name = entry.actor.display_name
        if source == AuditSource.FAMILY:
            return gettext("%(name)s (famille)") % {"name": name}
        return name
    return {
        AuditSource.FAMILY: gettext("Famille"),
        AuditSource.RUN: gettext("Traitement"),
        AuditSource.PROMOTION: gettext("Liste d'attente (automatique)"),
        AuditSource.STAFF: gettext("Personnel"),
    }.get(source) or AuditSource(source).label


def family_audit(family):
    return AuditEntries(
        BookingAudit.objects.filter(booking__child__family=family),
        Movement.objects.filter(booking__child__family=family),
    )


def booking_audit(booking):
    """A booking's changes, and the staff's actions on its day (places, closure)."""
    return AuditEntries(
        BookingAudit.objects.filter(booking=booking),
        Movement.objects.filter(booking=booking),
        OpeningAudit.objects.filter(opening__activity_id=booking.activity_id, opening__date=booking.date),
    )


def day_audit(opening):
    """An activity's day: the staff's actions on it (its capacity history, its
    closure) and every change of its bookings, one trail."""
    same_day = {"booking__activity_id": opening.activity_id, "booking__date": opening.date}
    return AuditEntries(
        BookingAudit.objects.filter(**same_day),
        Movement.objects.filter(**same_day),
        OpeningAudit.objects.filter(opening=opening),
    )


def open_activities(activities, day):
    """The activities among `activities` open on `day`. One query."""
    openings = Opening.objects.open().filter(activity_id__in=[a.pk for a in activities], date=day).order_by()
    open_ids = set(openings.values_list("activity_id", flat=True))
    return [a for a in activities if a.pk in open_ids]
