"""Notices written ONCE per family for a staff action that touches several of
its bookings at once (issue 18): a day closed for several activities (a
strike: every child and activity of the family in one e-mail), and places
lowered with children moved to the waiting list. Queued in the outbox inside
the engine's transaction (booking.signals), each address in its account's
language, once (dedupe key per family, bookings and address)."""

from collections import defaultdict

from django.conf import settings
from django.urls import reverse

from portail.lib.dates import short_day_lazy
from portail.notifications.models import EmailKind, OutboxEmail
from portail.notifications.outbox import recipient_languages, render_email
from portail.notifications.reports import _key, family_emails


def _child_name(child):
    return f"{child.last_name.upper()} {child.first_name}"


def _families_to_write(bookings):
    """(family, its bookings among these, its addresses) for each family with
    an address: the families without one are called by staff instead."""
    by_family = defaultdict(list)
    for booking in bookings:
        by_family[booking.child.family_id].append(booking)
    emails = family_emails(list(by_family))
    for family_id, family_bookings in by_family.items():
        addresses = emails.get(family_id, [])
        if addresses:
            yield family_bookings[0].child.family, family_bookings, addresses


def _queue(family, emails, *, template, kind, dedupe, context):
    languages = recipient_languages(emails)
    rendered = {}  # language -> (subject, text, html)
    rows = []
    for email in emails:
        language = languages.get(email, settings.LANGUAGE_CODE)
        if language not in rendered:
            rendered[language] = render_email(template, context, language)
        subject, text, html = rendered[language]
        rows.append(
            OutboxEmail(
                kind=kind, to=email, subject=subject, body_text=text, body_html=html, structure=family.structure,
                dedupe_key=_key(*dedupe, email),
            )
        )  # fmt: skip
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def queue_family_closure_notices(cancelled, reason):
    """One e-mail per family for a closure of several activities (a strike):
    each day, each child with the activities it had that day. Families
    without an address get nothing here: staff print the list of them to
    call (staff « Fermer une journée »). Returns the number of e-mails."""
    queued = 0
    for family, bookings, addresses in _families_to_write(cancelled):
        days = defaultdict(lambda: defaultdict(set))  # day -> child name -> activity names
        for booking in bookings:
            days[booking.date][_child_name(booking.child)].add(booking.activity.name)
        lines = [
            # Lazy: the day is formatted when rendered, in the recipient's language.
            (short_day_lazy(day), [(child, ", ".join(sorted(names))) for child, names in sorted(children.items())])
            for day, children in sorted(days.items())
        ]
        context = {
            "family": family,
            "structure": family.structure,
            "days": lines,
            "first_day": lines[0][0],
            "reason": reason,
            "site_url": settings.SITE_URL + reverse("family:reservations"),
        }
        queued += _queue(
            family, addresses, template="notifications/email/closure_family", kind=EmailKind.CLOSURE,
            dedupe=("closure-family", family.pk, *sorted(b.pk for b in bookings)), context=context,
        )  # fmt: skip
    return queued


def queue_moved_to_waiting_list_notices(opening, moved, reason):
    """One e-mail per family whose children lost their place on `opening`'s
    day (places lowered by staff) and wait at the head of the waiting list."""
    queued = 0
    for family, bookings, addresses in _families_to_write(moved):
        context = {
            "family": family,
            "structure": family.structure,
            "activity": opening.activity,
            "day": short_day_lazy(opening.date),
            "children": [(_child_name(b.child), getattr(b, "position", None)) for b in bookings],
            "reason": reason,
            "site_url": settings.SITE_URL + reverse("family:reservations"),
        }
        queued += _queue(
            family, addresses, template="notifications/email/moved_to_waiting_list", kind=EmailKind.PROMOTION,
            dedupe=("moved-to-waiting-list", family.pk, *sorted(b.pk for b in bookings)), context=context,
        )  # fmt: skip
    return queued
