"""Prices (issue 16 point 1): which tariff, which bracket, how many units, and
the priced lines a family's month (or a recap's demandes) turns into.

One line builder (`price_family`) serves the invoices (billing.invoicing) and
the recap's estimate (`estimate_demandes`), so a parent is never shown another
price than the one the invoice will carry. The rules, written once here:

- Tariff: the activity's Tariff with the latest `valid_from` on or before the
  day (a new rate on 1 September never reprices August).
- Bracket: the smallest `qf_max` at or above the family's QF on the day
  (Family.qf_on). Without a valid QF, or with a QF above every bracket, the
  top bracket (`qf_max` empty); a tariff without a top bracket then uses its
  highest one. A tariff without any bracket counts as no tariff.
- Units: « par jour ou séance » = 1 per day; « par quart d'heure / heure
  commencé(e) » = the started units between arrival and departure (at least 1).
- 2nd / 3rd child: on one day and one activity, the family's billed children
  are ranked by birth date (eldest first, then id): the eldest pays full price,
  the 2nd gets `second_child_reduction_percent`, the 3rd and following
  `third_child_reduction_percent`. The reduction lowers the UNIT PRICE
  (price − percent_of(price, %)) and the line's label says so: every line is
  exactly quantity × unit price, which a parent can check, and a reduced day
  never becomes a negative line floating apart from the days it reduces.
- Walk-in (a child present at the roll call without an accepted booking): the
  (reduced) unit price + percent_of(it, `walk_in_surcharge_percent`), on a
  line of its own, on either billing basis.
- A cancellation after the délai (Booking.cancelled_late) is billed like the
  booking, on a line of its own, on either basis (issue 16 point 1: « a
  cancellation after the cancellation délai is billed »).
- Rounding happens only in billing.money.percent_of (half-up, per unit price).

What a (child, activity, day) bills, at most once:
    basis « réservations »: accepted booking → the booking (its times);
        otherwise present at the roll call → walk-in; otherwise a late
        cancellation → billed (its booked times). A justified absence cancels
        the booking on time (not late): nothing is billed.
    basis « présences »: present → the presence (roll call's times, else the
        booked ones, else the activity's), walk-in when no accepted booking;
        otherwise a late cancellation → billed.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from portail.billing.models import BillingBasis, PriceUnit, Tariff
from portail.billing.money import percent_of
from portail.booking.models import Booking, BookingStatus
from portail.lib.dates import short_day
from portail.structures.models import Activity, Family

# What a billed day is; also the order of a child's lines for one activity.
BOOKED, LATE, WALK_IN = "booked", "late", "walk_in"
KIND_ORDER = {BOOKED: 0, LATE: 1, WALK_IN: 2}

UNIT_MINUTES: dict[str, int] = {PriceUnit.QUARTER_HOUR: 15, PriceUnit.HOUR: 60}


# ----------------------------------------------------------------- tariffs


@dataclass(frozen=True)
class TariffInfo:
    """A tariff and its brackets, read once: (qf_max, price) sorted by qf_max, top bracket last."""

    pk: int
    activity_id: int
    valid_from: datetime.date
    unit: str
    basis: str
    walk_in_percent: int
    second_percent: int
    third_percent: int
    brackets: tuple[tuple[int | None, int], ...]

    def price_for_qf(self, qf: int | None) -> int:
        if qf is not None:
            for qf_max, price in self.brackets:
                if qf_max is not None and qf <= qf_max:
                    return price
        return self.brackets[-1][1]  # the top bracket (or, without one, the highest)

    @property
    def depends_on_qf(self) -> bool:
        return len(self.brackets) > 1


def _bracket_key(bracket: tuple[int | None, int]) -> tuple[bool, int]:
    qf_max = bracket[0]
    return (qf_max is None, qf_max or 0)


class TariffBook:
    """The tariffs of a set of activities, read in one query (two with the
    brackets), answering « which tariff on this day » without another query."""

    def __init__(self, activity_ids: Iterable[int]):
        by_activity: dict[int, list[TariffInfo]] = defaultdict(list)
        tariffs = Tariff.objects.filter(activity_id__in=list(activity_ids)).prefetch_related("brackets")
        for tariff in tariffs.order_by("activity_id", "valid_from"):
            brackets = tuple(sorted(((b.qf_max, b.unit_price_cents) for b in tariff.brackets.all()), key=_bracket_key))
            if not brackets:
                continue  # a tariff without any price bills nothing: reported as « pas de tarif »
            by_activity[tariff.activity_id].append(
                TariffInfo(
                    pk=tariff.pk, activity_id=tariff.activity_id, valid_from=tariff.valid_from, unit=tariff.unit,
                    basis=tariff.basis, walk_in_percent=tariff.walk_in_surcharge_percent,
                    second_percent=tariff.second_child_reduction_percent,
                    third_percent=tariff.third_child_reduction_percent, brackets=brackets,
                )
            )  # fmt: skip
        self._tariffs = dict(by_activity)
        self._starts = {pk: [t.valid_from for t in infos] for pk, infos in self._tariffs.items()}

    def on(self, activity_id: int, day: datetime.date) -> TariffInfo | None:
        infos = self._tariffs.get(activity_id)
        if not infos:
            return None
        index = bisect.bisect_right(self._starts[activity_id], day) - 1
        return infos[index] if index >= 0 else None


def tariff_on(activity: Activity, day: datetime.date) -> Tariff | None:
    """The activity's tariff valid on `day` (the latest valid_from ≤ day), or None."""
    return Tariff.objects.filter(activity=activity, valid_from__lte=day).order_by("-valid_from").first()


def unit_price_cents(tariff: Tariff, family: Family, day: datetime.date) -> int:
    """The tariff's unit price for the family on `day`: the bracket of its QF
    on that day (smallest qf_max ≥ QF), the top bracket without a valid QF.
    Raises Tariff.DoesNotExist-free ValueError when the tariff has no bracket."""
    brackets = tuple(sorted(((b.qf_max, b.unit_price_cents) for b in tariff.brackets.all()), key=_bracket_key))
    if not brackets:
        raise ValueError("tariff without brackets")
    info = TariffInfo(
        pk=tariff.pk, activity_id=tariff.activity_id, valid_from=tariff.valid_from, unit=tariff.unit,
        basis=tariff.basis, walk_in_percent=tariff.walk_in_surcharge_percent,
        second_percent=tariff.second_child_reduction_percent, third_percent=tariff.third_child_reduction_percent,
        brackets=brackets,
    )  # fmt: skip
    return info.price_for_qf(family.qf_on(day))


# ----------------------------------------------------------------- facts


@dataclass(frozen=True)
class ChildInfo:
    pk: int
    name: str  # as printed: « DUPONT Léa »
    birth_date: datetime.date


@dataclass(frozen=True)
class ActivityInfo:
    pk: int
    name: str
    earliest: datetime.time | None
    latest: datetime.time | None


@dataclass(frozen=True)
class FamilyInfo:
    pk: int
    quotient_familial: int | None
    qf_valid_until: datetime.date | None

    def qf_on(self, day: datetime.date) -> int | None:
        # The same rule as Family.qf_on, on the values read in bulk.
        if self.quotient_familial is None or self.qf_valid_until is None or day > self.qf_valid_until:
            return None
        return self.quotient_familial


@dataclass
class DayFacts:
    """What the booking engine and the roll call say of one child, activity and day."""

    accepted: tuple[datetime.time | None, datetime.time | None] | None = None  # the booked times
    late: tuple[datetime.time | None, datetime.time | None] | None = None  # a late cancellation's times
    present: tuple[datetime.time | None, datetime.time | None] | None = None  # the roll call's times


@dataclass(frozen=True)
class Billable:
    """One billed (child, activity, day), with the times its units come from."""

    child_id: int
    activity_id: int
    day: datetime.date
    kind: str  # BOOKED, LATE or WALK_IN
    arrival: datetime.time | None
    departure: datetime.time | None


def _times(*candidates):
    """The first pair of times with both ends known."""
    for pair in candidates:
        if pair is not None and pair[0] is not None and pair[1] is not None:
            return pair
    return (None, None)


def billables(
    facts: Mapping[tuple[int, int, datetime.date], DayFacts],
    tariffs: TariffBook,
    activities: Mapping[int, ActivityInfo],
) -> tuple[list[Billable], set[int]]:
    """Decide what each (child, activity, day) bills (see the module's rules).
    Returns the billables and the activities that had something to bill but
    no tariff that day."""
    out: list[Billable] = []
    untariffed: set[int] = set()
    for (child_id, activity_id, day), f in facts.items():
        tariff = tariffs.on(activity_id, day)
        if tariff is None:
            if f.accepted is not None or f.late is not None or f.present is not None:
                untariffed.add(activity_id)
            continue
        activity = activities[activity_id]
        default = (activity.earliest, activity.latest)
        kind: str | None = None
        times = (None, None)
        if tariff.basis == BillingBasis.CONSUMPTIONS:
            if f.present is not None:
                kind = BOOKED if f.accepted is not None else WALK_IN
                times = _times(f.present, f.accepted, default)
            elif f.late is not None:
                kind, times = LATE, _times(f.late, default)
        else:
            if f.accepted is not None:
                kind, times = BOOKED, _times(f.accepted, default)
            elif f.present is not None:
                kind, times = WALK_IN, _times(f.present, default)
            elif f.late is not None:
                kind, times = LATE, _times(f.late, default)
        if kind is not None:
            out.append(Billable(child_id, activity_id, day, kind, times[0], times[1]))
    return out, untariffed


# ----------------------------------------------------------------- lines


@dataclass
class Line:
    """A priced line: one child, one activity, one unit price and label; its days."""

    child_id: int
    activity_id: int
    child_name: str
    activity_name: str
    label: str
    kind: str
    dates: list[datetime.date] = field(default_factory=list)
    quantity: int = 0
    unit_price_cents: int = 0

    @property
    def amount_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass
class Priced:
    lines: list[Line]
    anomalies: list[str]

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def units(unit: str, arrival: datetime.time | None, departure: datetime.time | None) -> int | None:
    """How many units a day bills: 1 per day; the started quarter hours /
    hours between arrival and departure (at least 1); None when a timed unit
    has no times to count from."""
    step = UNIT_MINUTES.get(unit)
    if step is None:
        return 1
    if arrival is None or departure is None:
        return None
    seconds = (departure.hour * 3600 + departure.minute * 60 + departure.second) - (
        arrival.hour * 3600 + arrival.minute * 60 + arrival.second
    )
    return max(1, math.ceil(seconds / (step * 60)))


def _label(activity: ActivityInfo, tariff: TariffInfo, kind: str, rank: int, percent: int) -> str:
    # A city's month asks for the same few labels tens of thousands of times.
    return _cached_label(
        activity.name, tariff.unit, tariff.walk_in_percent, kind, min(rank, 3), percent, translation.get_language()
    )


@functools.lru_cache(maxsize=4096)
def _cached_label(
    name: str, unit: str, walk_in_percent: int, kind: str, rank: int, percent: int, language: str | None
) -> str:
    del language  # part of the cache's key only: the label is in the active language
    label = name
    if unit != PriceUnit.DAY:
        label = f"{label} ({PriceUnit(unit).label})"
    parts = [label]
    if percent:
        if rank == 2:
            parts.append(_("2e enfant : −%(percent)s %%") % {"percent": percent})
        else:
            parts.append(_("3e enfant et suivants : −%(percent)s %%") % {"percent": percent})
    if kind == LATE:
        parts.append(_("annulation hors délai"))
    elif kind == WALK_IN:
        if walk_in_percent:
            parts.append(_("présence sans réservation : +%(percent)s %%") % {"percent": walk_in_percent})
        else:
            parts.append(_("présence sans réservation"))
    return " — ".join(parts)


def price_family(
    items: Sequence[Billable],
    *,
    family: FamilyInfo,
    children: Mapping[int, ChildInfo],
    activities: Mapping[int, ActivityInfo],
    tariffs: TariffBook,
) -> Priced:
    """Price one family's billables (all of one family) into its lines, grouped
    per child × activity × unit price (and label), in a stable order."""
    # The children billed on each (activity, day), eldest first: their rank.
    on_day: dict[tuple[int, datetime.date], list[int]] = defaultdict(list)
    for item in items:
        on_day[(item.activity_id, item.day)].append(item.child_id)
    rank: dict[tuple[int, int, datetime.date], int] = {}
    for (activity_id, day), child_ids in on_day.items():
        ordered = sorted(set(child_ids), key=lambda pk: (children[pk].birth_date, pk))
        for position, child_id in enumerate(ordered, start=1):
            rank[(child_id, activity_id, day)] = position

    lines: dict[tuple[int, int, int, str], Line] = {}
    anomalies: list[str] = []
    no_qf = False
    untimed: list[Billable] = []
    for item in items:
        tariff = tariffs.on(item.activity_id, item.day)
        if tariff is None:  # billables() only keeps tariffed days; a caller's own list may not
            continue
        activity = activities[item.activity_id]
        qf = family.qf_on(item.day)
        if qf is None and tariff.depends_on_qf:
            no_qf = True
        price = tariff.price_for_qf(qf)
        position = rank[(item.child_id, item.activity_id, item.day)]
        percent = 0 if position == 1 else tariff.second_percent if position == 2 else tariff.third_percent
        price -= percent_of(price, percent)
        if item.kind == WALK_IN:
            price += percent_of(price, tariff.walk_in_percent)
        count = units(tariff.unit, item.arrival, item.departure)
        if count is None:
            untimed.append(item)
            count = 1
        label = _label(activity, tariff, item.kind, position, percent)
        key = (item.child_id, item.activity_id, price, label)
        line = lines.get(key)
        if line is None:
            child = children[item.child_id]
            line = lines[key] = Line(
                child_id=child.pk, activity_id=activity.pk, child_name=child.name, activity_name=activity.name,
                label=label, kind=item.kind, unit_price_cents=price,
            )  # fmt: skip
        line.dates.append(item.day)
        line.quantity += count
    for line in lines.values():
        line.dates.sort()
    ordered_lines = sorted(
        lines.values(),
        key=lambda x: (x.child_name, x.child_id, x.activity_name, x.activity_id, KIND_ORDER[x.kind],
                       -x.unit_price_cents, x.label),
    )  # fmt: skip
    if no_qf:
        anomalies.append(_("Quotient familial manquant ou expiré : tranche haute"))
    for item in sorted(untimed, key=lambda i: (i.day, i.child_id, i.activity_id)):
        anomalies.append(
            _("Horaires inconnus pour %(child)s, %(activity)s, %(day)s : une unité facturée")
            % {"child": children[item.child_id].name, "activity": activities[item.activity_id].name,
               "day": short_day(item.day)}
        )  # fmt: skip
    return Priced(ordered_lines, anomalies)


def no_tariff_anomaly(activity_name: str) -> str:
    return _("Pas de tarif pour %(activity)s : non facturé") % {"activity": activity_name}


def child_info(pk: int, first_name: str, last_name: str, birth_date: datetime.date) -> ChildInfo:
    # The name as Child.__str__ prints it.
    return ChildInfo(pk, f"{last_name.upper()} {first_name}", birth_date)


def activity_infos(activity_ids: Iterable[int]) -> dict[int, ActivityInfo]:
    rows = Activity.objects.filter(pk__in=list(activity_ids)).values_list("pk", "name", "earliest_time", "latest_time")
    return {pk: ActivityInfo(pk, name, earliest, latest) for pk, name, earliest, latest in rows}


# ----------------------------------------------------------------- the recap's estimate


def estimate_demandes(family: Family, items: Iterable, *, today: datetime.date) -> int | None:
    """The recap's « coût estimé » of a draft's booking demandes: what they add
    to the family's bill, priced as the invoice will (same builder), as if
    every demande were accepted. The family's accepted bookings of those days
    and activities take part in the children's ranks (a 2nd child booked next
    to an elder already booked gets the reduction), and what a new elder does
    to a younger one's reduction is counted too: the estimate is the bill of
    those days with the demandes minus without them. None when no demande has
    a tariff. `today` is accepted for the contract (prices are those of the
    demandes' own days)."""
    del today  # the tariff and QF of each demande's own day decide, not today's
    demandes = [i for i in items if getattr(i, "action", "book") == "book"]
    if not demandes:
        return None
    activity_ids = {i.activity_id for i in demandes}
    days = {i.date for i in demandes}
    tariffs = TariffBook(activity_ids)
    if not any(tariffs.on(i.activity_id, i.date) is not None for i in demandes):
        return None
    activities = activity_infos(activity_ids)
    pairs = {(i.activity_id, i.date) for i in demandes}
    existing = [
        Billable(child_id, activity_id, day, BOOKED, arrival, departure)
        for child_id, activity_id, day, arrival, departure in Booking.objects.filter(
            child__family=family, activity_id__in=activity_ids, date__in=days, status=BookingStatus.ACCEPTED
        ).values_list("child_id", "activity_id", "date", "arrival", "departure")
        if (activity_id, day) in pairs
    ]
    booked = {(b.child_id, b.activity_id, b.day) for b in existing}
    new = []
    for i in demandes:
        if (i.child_id, i.activity_id, i.date) in booked or tariffs.on(i.activity_id, i.date) is None:
            continue
        activity = activities[i.activity_id]
        arrival, departure = _times((i.arrival, i.departure), (activity.earliest, activity.latest))
        new.append(Billable(i.child_id, i.activity_id, i.date, BOOKED, arrival, departure))
    child_ids = {b.child_id for b in existing} | {b.child_id for b in new}
    children = {
        pk: child_info(pk, first, last, born)
        for pk, first, last, born in family.children.filter(pk__in=child_ids).values_list(
            "pk", "first_name", "last_name", "birth_date"
        )
    }
    info = FamilyInfo(family.pk, family.quotient_familial, family.qf_valid_until)
    existing = [b for b in existing if tariffs.on(b.activity_id, b.day) is not None]

    def bill(billed: list[Billable]) -> int:
        return price_family(billed, family=info, children=children, activities=activities, tariffs=tariffs).total_cents

    return bill(existing + new) - bill(existing)


def month_facts(
    structure_id: int, family_ids: Sequence[int], start: datetime.date, end: datetime.date
) -> dict[int, dict[tuple[int, int, datetime.date], DayFacts]]:
    """What the engine and the roll call recorded for these families between
    start and end (included), per family: two set-based queries."""
    from portail.booking.models import Consumption  # noqa: PLC0415 (kept next to its only use)

    by_family: dict[int, dict[tuple[int, int, datetime.date], DayFacts]] = defaultdict(dict)
    bookings = Booking.objects.filter(
        Q(status=BookingStatus.ACCEPTED) | Q(status=BookingStatus.CANCELLED, cancelled_late=True),
        child__family_id__in=family_ids, activity__structure_id=structure_id, date__gte=start, date__lte=end,
    ).values_list("child__family_id", "child_id", "activity_id", "date", "status", "arrival", "departure")  # fmt: skip
    for family_id, child_id, activity_id, day, status, arrival, departure in bookings.iterator(chunk_size=5000):
        facts = by_family[family_id].get((child_id, activity_id, day))
        if facts is None:
            facts = by_family[family_id][(child_id, activity_id, day)] = DayFacts()
        if status == BookingStatus.ACCEPTED:
            facts.accepted = (arrival, departure)
        else:
            facts.late = (arrival, departure)
    presences = Consumption.objects.filter(
        child__family_id__in=family_ids, activity__structure_id=structure_id, date__gte=start, date__lte=end,
        present=True,
    ).values_list("child__family_id", "child_id", "activity_id", "date", "arrival", "departure")  # fmt: skip
    for family_id, child_id, activity_id, day, arrival, departure in presences.iterator(chunk_size=5000):
        facts = by_family[family_id].get((child_id, activity_id, day))
        if facts is None:
            facts = by_family[family_id][(child_id, activity_id, day)] = DayFacts()
        facts.present = (arrival, departure)
    return by_family
