import html


def page_text(response):
    """The page's HTML with entities decoded, so French apostrophes compare plainly."""
    return html.unescape(response.content.decode())


def make_booking(**fields):
    """Create a Booking row directly (a test's fixture, behind the engine's back)
    and keep its opening's place counters right, as the engine would (issue 15):
    every test that needs a booking without going through a confirmation or a
    staff action uses this, never Booking.objects.create."""
    from portail.booking.models import Booking, BookingStatus
    from portail.booking.snapshot import move_counters
    from portail.structures.models import Opening

    booking = Booking.objects.create(**fields)
    if booking.status in (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED):
        opening = Opening.objects.filter(activity_id=booking.activity_id, date=booking.date).first()
        if opening is not None:
            accepted = booking.status == BookingStatus.ACCEPTED
            move_counters(opening.pk, accepted=int(accepted), waitlisted=int(not accepted))
    return booking


def set_booking_status(booking, status):
    """Change a booking's status directly (a test's set-up, behind the engine's
    back) and move its opening's place counters with it (issue 15), as
    make_booking does for a new row. Returns the booking, its status updated."""
    from portail.booking.models import Booking, BookingStatus
    from portail.booking.snapshot import move_counters_of_day

    previous = Booking.objects.values_list("status", flat=True).get(pk=booking.pk)
    Booking.objects.filter(pk=booking.pk).update(status=status)
    booking.status = status

    def delta(which):
        return int(status == which) - int(previous == which)

    move_counters_of_day(
        booking.activity_id,
        booking.date,
        accepted=delta(BookingStatus.ACCEPTED),
        waitlisted=delta(BookingStatus.WAITLISTED),
    )
    return booking


def recount_all():
    """Set every opening's place counters from the booking rows (booking.counters.recount):
    for a test that bulk-inserts many bookings at once."""
    from portail.booking.counters import recount

    recount()
