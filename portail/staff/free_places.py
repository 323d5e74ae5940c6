"""Places that free up (issue 18 point 3, N3, B7): on the planning, a day with
free places and a waiting list offers them to the first families waiting,
with a one-click « Attribuer », and says why nobody was promoted
automatically: the waiting list is promoted by itself only while the families
can still cancel that day (booking.waiting_list.promote_waiting_list); after
the cancellation délai, a promotion would impose a place nobody could give
back, so the places stay free until staff give them."""

from django.utils.translation import gettext as _

from portail.booking.calendar import cancellation_deadline, closed_days_by_activity


def offer_free_places(plannings, now):
    """Annotate each open, limited ActivityDay (staff.queries.day_planning) with
    `offer` (the waitlisted bookings the free places could go to, first in the
    queue first), `auto_promotion_over` (the day's cancellation délai has
    passed: no automatic promotion any more) and `no_auto_promotion` (that
    sentence, when places are free and children wait). One query per
    structure shown (its closed days), whatever the number of activities."""
    limited = [p for p in plannings if p.is_open and p.activity.is_limited]
    for p in plannings:
        p.offer, p.auto_promotion_over, p.no_auto_promotion = [], False, ""
    # Each activity's own closed days (its closures, the school holidays unless
    # it runs then), as the engine's délais count them: one query per structure.
    closed = {}
    for structure_id in sorted({p.activity.structure_id for p in limited}):
        days = [p for p in limited if p.activity.structure_id == structure_id]
        first, last = min(p.day for p in days), max(p.day for p in days)
        closed.update(closed_days_by_activity(structure_id, first, last, [p.activity for p in days]))
    for p in limited:
        deadline = cancellation_deadline(p.activity, p.day, closed.get(p.activity.pk))
        p.auto_promotion_over = now > deadline
        free = p.free_places or 0
        if free and p.waiting:
            p.offer = p.waiting_for_free_places()
            if p.auto_promotion_over and p.offer:
                p.no_auto_promotion = _(
                    "Pas de promotion automatique : le délai d'annulation de ce jour est dépassé "
                    "(les familles ne pourraient plus annuler)."
                )
    return plannings


def default_reason(user):
    """The reason pre-filled in « Attribuer » (editable): who gave the place."""
    who = user.get_full_name() or user.get_username()
    return _("Place libérée : attribuée par %(agent)s") % {"agent": who}
