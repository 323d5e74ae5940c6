"""The booking rules, pure: délais, période, places, day states (S0–S7, T0–T7),
the quick tools' toggle and the times of an activité à horaires.

Inputs in, decisions out: no database, no request, no clock. Callers pass
`now` (an aware datetime, usually `timezone.now()`), the structure's closed
days and the counts of bookings, so the calendar, the confirmation, the copy
tool and the processing run all decide alike (SPEC R1, R3, R5c, R10, S/T-states).
"""

import datetime
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, Self, TypeVar
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, gettext_lazy

from portail.lib.dates import short_day
from portail.lib.times import minutes
from portail.structures.calendar import is_public_holiday

if TYPE_CHECKING:  # for the annotations only: at run time this module never imports the models
    from portail.structures.models import Activity, Opening

PARIS = ZoneInfo("Europe/Paris")
ACCEPTED = "accepted"
WAITLISTED = "waitlisted"

# The reasons a family reads: lazy, so each is written in the language active
# where it is shown (the functions below return them as plain str).
NOT_OPEN = gettext_lazy("Activité non ouverte ce jour")
NOT_ENROLLED = gettext_lazy("Enfant non inscrit à cette activité ce jour")
OUTSIDE_PERIOD = gettext_lazy("Hors période de réservation")
FULL = gettext_lazy("Complet, liste d'attente comprise")
NO_AGE_GROUP = gettext_lazy("Aucun groupe d'âge de cette activité pour l'âge de l'enfant ce jour")


class S(StrEnum):
    """State of one child, one activity, one day."""

    CLOSED = "S0"
    FULL = "S1"
    FREE = "S2"
    WAITLIST_OPEN = "S3"
    BOOKED = "S4"
    WAITLISTED = "S5"
    BOOKED_LOCKED = "S6"
    WAITLISTED_LOCKED = "S7"


class T(StrEnum):
    """State of one child, one day, all its activities."""

    NOTHING = "T0"
    ALL_FULL = "T1"
    FREE = "T2"
    WAITLIST_OPEN = "T3"
    BOOKED = "T4"
    BOOKED_WAITLIST = "T5"
    LOCKED = "T6"
    LOCKED_WAITLIST = "T7"


class Mark(StrEnum):
    """A draft mark: "à réserver" or "à annuler"."""

    BOOK = "book"
    CANCEL = "cancel"


ACTIONABLE = frozenset({S.FREE, S.WAITLIST_OPEN, S.BOOKED, S.WAITLISTED})
BOOKED_STATES = frozenset({S.BOOKED, S.WAITLISTED, S.BOOKED_LOCKED, S.WAITLISTED_LOCKED})


@dataclass(frozen=True)
class Deadline:
    """A délai: `days` days before the day, at `at`, counted in calendar or working days."""

    days: int
    at: datetime.time
    working_days: bool


@dataclass(frozen=True)
class ActivityRules:
    """What the rules need to know of an Activity, detached from the database."""

    limited: bool
    capacity: int
    waiting_list_capacity: int
    period_start: datetime.date
    period_end: datetime.date
    opens_at: datetime.datetime | None
    booking: Deadline
    cancellation: Deadline
    has_times: bool = False
    earliest: datetime.time | None = None
    latest: datetime.time | None = None
    step: int | None = None

    @classmethod
    def from_activity(cls, activity: "Activity") -> Self:
        # "working" is DayCount.WORKING; compared as a string so that this module
        # never imports the models and stays usable without Django.
        return cls(
            limited=activity.is_limited,
            capacity=activity.capacity,
            waiting_list_capacity=activity.waiting_list_capacity,
            period_start=activity.booking_period_start,
            period_end=activity.booking_period_end,
            opens_at=activity.bookings_open_at,
            booking=Deadline(
                activity.booking_deadline_days,
                activity.booking_deadline_time,
                activity.booking_deadline_count == "working",
            ),
            cancellation=Deadline(
                activity.cancellation_deadline_days,
                activity.cancellation_deadline_time,
                activity.cancellation_deadline_count == "working",
            ),
            has_times=activity.has_times,
            earliest=activity.earliest_time if activity.has_times else None,
            latest=activity.latest_time if activity.has_times else None,
            step=activity.time_step_minutes if activity.has_times else None,
        )


# ---------------------------------------------------------------- délais

# How far back a délai is ever counted. Real délais are a few days; the
# longest a structure can set (365 days, in working days) reaches about 17
# months back over weekends and public holidays. A walk never goes further than
# two years, whatever is stored (a closure from 01/01/0001 once made every day
# "closed", and the walk ran to year 1: issue 12), so a day's délai costs at
# most this many steps, and closed days are read only this far back
# (booking.calendar.closed_days).
DEADLINE_HORIZON = datetime.timedelta(days=732)


def horizon_start(day: datetime.date) -> datetime.date:
    """The earliest day a délai of `day` may reach (never before datetime.date.min)."""
    if day - datetime.date.min <= DEADLINE_HORIZON:
        return datetime.date.min
    return day - DEADLINE_HORIZON


def is_working_day(day: datetime.date, closed_days: Container[datetime.date]) -> bool:
    """Not a Saturday, Sunday, national public holiday nor one of the structure's closed days.

    `closed_days` as booking.calendar.closed_days reads it
    also holds the public holidays of the structure's region (Good Friday and
    26 December in Alsace-Moselle, the overseas abolition days); the national
    ones, common to every region, are checked here too so the rules stay pure.
    """
    return day.weekday() < 5 and not is_public_holiday(day) and day not in closed_days


def last_moment(
    day: datetime.date, deadline: Deadline, closed_days: Container[datetime.date], tz: ZoneInfo = PARIS
) -> datetime.datetime:
    """The last moment (aware) to book or cancel `day` under `deadline`.

    Counts `deadline.days` days back from `day` (0: the day itself) — every
    calendar day, or working days only — and returns `deadline.at`, local time,
    on the day reached. The moment itself is still in time: allowed while
    `now <= last_moment(...)`, i.e. at 10:00:00 exactly yes, at 10:00:01 no.

    Bounded: the count stops at `horizon_start(day)` (DEADLINE_HORIZON back),
    so a délai that cannot be met within two years (every day closed) ends
    there, long past for any day a family can book; and a calendar-day délai
    never goes before the first representable day.
    """
    floor = horizon_start(day)
    reached = day
    if deadline.working_days:
        left = deadline.days
        while left and reached > floor:
            reached -= datetime.timedelta(days=1)
            if is_working_day(reached, closed_days):
                left -= 1
    elif (day - datetime.date.min).days <= deadline.days:
        reached = datetime.date.min
    else:
        reached -= datetime.timedelta(days=deadline.days)
    # zoneinfo resolves the wall time with the offset in force that day, so
    # 10:00 stays 10:00 on either side of a DST change.
    return datetime.datetime.combine(reached, deadline.at, tzinfo=tz)


def _too_late(booking: bool, moment: datetime.datetime) -> str:
    values = {"day": short_day(moment.date()), "time": f"{moment:%H:%M}"}
    if booking:
        return gettext("Hors délai de réservation (jusqu'au %(day)s à %(time)s)") % values
    return gettext("Hors délai d'annulation (jusqu'au %(day)s à %(time)s)") % values


def booking_refusal(
    day: datetime.date,
    rules: ActivityRules,
    *,
    now: datetime.datetime,
    is_open: bool,
    enrolled: bool,
    closed_days: Container[datetime.date],
) -> str | None:
    """Why `day` cannot be booked now, in French, or None if time and enrolment allow it.

    Places are not considered here (see `placement`). Reasons are checked from
    the most lasting to the most passing, so the family reads the one that matters.
    """
    if not is_open:
        return str(NOT_OPEN)
    if not enrolled:
        return str(NOT_ENROLLED)
    if not rules.period_start <= day <= rules.period_end:
        return str(OUTSIDE_PERIOD)
    if rules.opens_at is not None and now < rules.opens_at:
        opens = rules.opens_at.astimezone(PARIS)
        return gettext("Réservations pas encore ouvertes (ouverture le %(day)s à %(time)s)") % {
            "day": f"{opens:%d/%m/%Y}",
            "time": f"{opens:%H:%M}",
        }
    moment = last_moment(day, rules.booking, closed_days)
    if now > moment:
        return _too_late(True, moment)
    return None


def cancellation_refusal(
    day: datetime.date, rules: ActivityRules, *, now: datetime.datetime, closed_days: Container[datetime.date]
) -> str | None:
    """Why a booking of `day` cannot be cancelled now, in French, or None."""
    moment = last_moment(day, rules.cancellation, closed_days)
    if now > moment:
        return _too_late(False, moment)
    return None


# ---------------------------------------------------------------- places


@dataclass(frozen=True)
class Occupancy:
    """Bookings of one activity on one day, and that day's capacities."""

    accepted: int
    waitlisted: int
    capacity: int
    waiting_list_capacity: int
    limited: bool

    @classmethod
    def from_opening(cls, opening: "Opening", *, accepted: int, waitlisted: int) -> Self:
        """Occupancy of an Opening, with its per-day capacity overrides."""
        return cls(
            accepted=accepted,
            waitlisted=waitlisted,
            capacity=opening.effective_capacity,
            waiting_list_capacity=opening.effective_waiting_list_capacity,
            limited=opening.activity.is_limited,
        )

    @property
    def places_left(self) -> int | None:
        """Places still free, or None for an unlimited activity (R3)."""
        if not self.limited:
            return None
        # Never negative: capacity may be lowered below the bookings already made.
        return max(self.capacity - self.accepted, 0)

    @property
    def waiting_list_room(self) -> int:
        return max(self.waiting_list_capacity - self.waitlisted, 0)

    def moved(self, *, accepted: int = 0, waitlisted: int = 0) -> "Occupancy":
        """The same day after bookings were taken (+1) or freed (-1)."""
        return Occupancy(
            self.accepted + accepted, self.waitlisted + waitlisted, self.capacity, self.waiting_list_capacity,
            self.limited,
        )  # fmt: skip


def placement(occupancy: Occupancy) -> str | None:
    """What a new booking gets now: "accepted", "waitlisted", or None (refused: `FULL`)."""
    if not occupancy.limited or occupancy.accepted < occupancy.capacity:
        return ACCEPTED
    if occupancy.waitlisted < occupancy.waiting_list_capacity:
        return WAITLISTED
    return None


# ---------------------------------------------------------------- age groups (issue 18 point 9)


class AgeRange(Protocol):
    """What the rules read of an age group (structures.AgeGroup)."""

    min_age: int
    max_age: int


G = TypeVar("G", bound=AgeRange)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """A child's age on `day`, in whole years (0 before its first birthday;
    born on 29 February: a year older on 1 March of a common year)."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def age_group_of(groups: Iterable[G], birth_date: datetime.date, day: datetime.date) -> G | None:
    """The group whose range holds the child's age on `day` (ranges of one
    activity do not overlap), or None: the child cannot book that day
    (NO_AGE_GROUP)."""
    age = age_on(birth_date, day)
    return next((g for g in groups if g.min_age <= age <= g.max_age), None)


# ---------------------------------------------------------------- day states


@dataclass(frozen=True)
class DayState:
    """One child, one activity, one day: its S-state and the draft's mark on it.

    `state` is what is recorded; `mark` is what the draft asks. A mark is only
    kept where it can apply (BOOK on S2/S3, CANCEL on S4/S5).
    """

    state: S
    places_left: int | None = None
    waiting_position: int | None = None
    reason: str | None = None
    mark: Mark | None = None

    @property
    def bookable(self) -> bool:
        return self.state in (S.FREE, S.WAITLIST_OPEN)

    @property
    def cancellable(self) -> bool:
        return self.state in (S.BOOKED, S.WAITLISTED)

    @property
    def actionable(self) -> bool:
        return self.state in ACTIONABLE

    @property
    def booked(self) -> bool:
        """Booked (place or waiting list) as recorded, draft aside."""
        return self.state in BOOKED_STATES

    @property
    def effective(self) -> str | None:
        """The booking once the draft applies: "accepted", "waitlisted" or None."""
        if self.mark is Mark.BOOK:
            return WAITLISTED if self.state is S.WAITLIST_OPEN else ACCEPTED
        if self.mark is Mark.CANCEL or not self.booked:
            return None
        return WAITLISTED if self.state in (S.WAITLISTED, S.WAITLISTED_LOCKED) else ACCEPTED

    @property
    def effective_booked(self) -> bool:
        return self.effective is not None


def day_state(
    day: datetime.date,
    rules: ActivityRules,
    *,
    now: datetime.datetime,
    is_open: bool,
    enrolled: bool,
    closed_days: Container[datetime.date],
    occupancy: Occupancy | None,
    booking_status: str | None,
    waiting_position: int | None = None,
    mark: Mark | None = None,
) -> DayState:
    """The S-state of one child, one activity, one day (with its draft mark).

    An existing booking wins over everything else: the family must see (and,
    in time, be able to cancel) a booking even if the day has since closed or
    the enrolment ended. A mark that no longer applies (the day filled up or
    went hors délai since it was drafted) is dropped; the confirmation re-checks
    and reports it anyway.
    """
    places_left = occupancy.places_left if occupancy is not None else None
    if booking_status is not None:
        too_late = cancellation_refusal(day, rules, now=now, closed_days=closed_days)
        waiting = booking_status == WAITLISTED
        if too_late:
            state = S.WAITLISTED_LOCKED if waiting else S.BOOKED_LOCKED
        else:
            state = S.WAITLISTED if waiting else S.BOOKED
        return DayState(
            state,
            places_left,
            waiting_position if waiting else None,
            too_late,
            mark if mark is Mark.CANCEL and not too_late else None,
        )
    refusal = booking_refusal(day, rules, now=now, is_open=is_open, enrolled=enrolled, closed_days=closed_days)
    if refusal:
        return DayState(S.CLOSED, reason=refusal)
    if occupancy is None:
        if rules.limited:
            raise ValueError("occupancy is needed for a limited activity's open day")
        occupancy = Occupancy(0, 0, 0, 0, limited=False)
    got = placement(occupancy)
    if got is None:
        return DayState(S.FULL, places_left, reason=str(FULL))
    state = S.FREE if got == ACCEPTED else S.WAITLIST_OPEN
    return DayState(state, places_left, mark=mark if mark is Mark.BOOK else None)


def t_state(states: Iterable[DayState]) -> T:
    """The T-state of one child, one day, from the S-states of its activities.

    SPEC's rules with the draft included: a "to book" mark counts as booked
    (on the waiting list if the day was S3); a "to cancel" mark counts as not
    booked, the day then counting as free (a place is released) or, when it
    leaves a waiting list, as a waiting list with room. S0 days are ignored.
    """
    booked = waiting = actionable = False
    seen = set()
    for ds in states:
        if ds.state is S.CLOSED:
            continue
        actionable |= ds.actionable
        effective = ds.effective
        if effective is not None:
            booked = True
            waiting |= effective == WAITLISTED
        elif ds.mark is Mark.CANCEL:
            seen.add(S.FREE if ds.state is S.BOOKED else S.WAITLIST_OPEN)
        else:
            seen.add(ds.state)
    if booked:
        if actionable:
            return T.BOOKED_WAITLIST if waiting else T.BOOKED
        return T.LOCKED_WAITLIST if waiting else T.LOCKED
    for state, t in ((S.WAITLIST_OPEN, T.WAITLIST_OPEN), (S.FREE, T.FREE), (S.FULL, T.ALL_FULL)):
        if state in seen:
            return t
    return T.NOTHING


def set_toggle(states: Sequence[tuple[datetime.date, DayState]]) -> dict[datetime.date, Mark | None]:
    """The quick tools of R5c over a set of days (a week, a weekday of a month, a month).

    If the first actionable day (S2–S5, by date) is not booked once the draft
    applies, book every bookable day, else cancel every cancellable day.
    Returns {day: new mark or None (mark removed)} for the days that change
    only; closed, full and hors-délai days are left alone.
    """
    actionable = sorted(((day, ds) for day, ds in states if ds.actionable), key=lambda item: item[0])
    if not actionable:
        return {}
    book = not actionable[0][1].effective_booked
    changes = {}
    for day, ds in actionable:
        if ds.bookable:
            wanted = Mark.BOOK if book else None
        else:
            wanted = None if book else Mark.CANCEL
        if ds.mark is not wanted:
            changes[day] = wanted
    return changes


# ---------------------------------------------------------------- times


def check_times(rules: ActivityRules, arrival: datetime.time | None, departure: datetime.time | None) -> str | None:
    """Why these arrival and departure times are not allowed, in French, or None."""
    if not rules.has_times:
        if arrival is not None or departure is not None:
            return gettext("Cette activité ne prend pas d'horaires")
        return None
    if arrival is None or departure is None:
        return gettext("Horaires d'arrivée et de départ à indiquer")
    # has_times: from_activity filled the range and the step.
    assert rules.earliest is not None and rules.latest is not None and rules.step is not None
    if arrival < rules.earliest or departure > rules.latest:
        return gettext("Horaires hors de la plage %(earliest)s–%(latest)s") % {
            "earliest": f"{rules.earliest:%H:%M}",
            "latest": f"{rules.latest:%H:%M}",
        }
    start = minutes(rules.earliest)
    if any(t.second or t.microsecond or (minutes(t) - start) % rules.step for t in (arrival, departure)):
        return gettext("Horaires à choisir par pas de %(step)s minutes") % {"step": rules.step}
    if departure <= arrival:
        return gettext("L'heure de départ doit suivre l'heure d'arrivée")
    return None
