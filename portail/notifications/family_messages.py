"""Messages staff write to families (issue 18 point 8).

`audience_families` finds the families of an audience (booked on a day,
booked on an activity from a day on, enrolled in an activity, a school
class), always inside one structure; `send_family_message` records the
message with one row per family (the copy its home page shows) and queues
one e-mail per address of the family's accounts, in one transaction (N4:
visible in Gestion → E-mails, retried on failure).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from portail.booking.models import Booking, BookingStatus
from portail.notifications.models import EmailKind, FamilyMessage, FamilyMessageRecipient
from portail.notifications.outbox import queue_email
from portail.notifications.reports import family_emails
from portail.structures.models import Family

# Audiences staff may choose.
DAY = "jour"  # children booked (accepted) on a day, on one activity or all
ACTIVITY = "activite"  # children enrolled in an activity, or booked on it from today on
SCHOOL_CLASS = "classe"  # children of a school class


def audience_families(structure, audience, *, activity=None, day=None, school_class="", today=None):
    """The families of `structure` the audience reaches, ordered by name."""
    families = Family.objects.filter(structure=structure)
    if audience == DAY:
        bookings = Booking.objects.filter(
            activity__structure=structure, date=day, status=BookingStatus.ACCEPTED, child__family__structure=structure
        )
        if activity is not None:
            bookings = bookings.filter(activity=activity)
        families = families.filter(pk__in=bookings.values("child__family"))
    elif audience == ACTIVITY:
        booked = Booking.objects.filter(activity=activity, status=BookingStatus.ACCEPTED)
        if today is not None:
            booked = booked.filter(date__gte=today)
        enrolled = Q(children__enrolments__activity=activity)
        if today is not None:
            enrolled &= Q(children__enrolments__end_date__gte=today)
        families = families.filter(enrolled | Q(pk__in=booked.values("child__family")))
    elif audience == SCHOOL_CLASS:
        families = families.filter(children__school_class__iexact=school_class.strip())
    else:
        raise ValueError(audience)
    return families.distinct().order_by("last_name", "first_name", "pk")


def send_family_message(structure, families, *, subject, body, audience, sent_by):
    """Record the message for each of `families` (of `structure`) and queue
    its e-mails; returns the FamilyMessage. A family with several addresses
    gets one e-mail at each; a family without gets none, and still sees it
    on its home page."""
    families = list(families)
    if any(family.structure_id != structure.pk for family in families):
        raise ValueError("a family of another structure")
    with transaction.atomic():
        message = FamilyMessage.objects.create(
            structure=structure, subject=subject, body=body, audience=audience[:300], sent_by=sent_by
        )
        addresses = family_emails([family.pk for family in families])
        link = settings.SITE_URL + reverse("family:home")
        for family in families:
            recipient = FamilyMessageRecipient.objects.create(message=message, family=family)
            queued = []
            for address in addresses.get(family.pk, []):
                context = {"message": message, "family": family, "structure": structure, "site_url": link}
                email = queue_email(
                    address, "notifications/email/family_message", context, kind=EmailKind.MESSAGE,
                    structure=structure, dedupe_key=f"message:{message.pk}:{family.pk}:{address}"[:120],
                )  # fmt: skip
                if email is not None:
                    queued.append(email)
            recipient.emails.set(queued)
    return message


def messages_for_family(family, limit=10):
    """The latest messages staff sent to `family`, newest first (its home page)."""
    return FamilyMessage.objects.filter(recipients__family=family).order_by("-created_at", "-id")[:limit]
