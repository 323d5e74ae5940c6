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
