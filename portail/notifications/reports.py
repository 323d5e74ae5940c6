"""E-mails caused by the booking engine: the compte-rendu of a processing run
(N2, in the manual's format) and the waiting-list promotion notice (N3, D3).
Both are queued in the outbox inside the engine's own transaction."""

import hashlib
from collections import defaultdict
from itertools import groupby

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy, gettext_noop

from portail.booking.calendar import cancellation_deadline
from portail.booking.models import BookingStatus, FamilyReport, Movement, MovementKind
from portail.lib.dates import short_day, short_day_lazy
from portail.notifications.models import OutboxEmail
from portail.notifications.outbox import recipient_languages, render_email
from portail.structures.models import Family

# The manual's section titles; translated when the e-mail is rendered (lazily:
# the recipient's language is active then, not when the sections are built).
WAITLISTED = gettext_noop("RESERVATIONS MISES EN LISTE D'ATTENTE")
ACCEPTED = gettext_noop("RESERVATIONS ACCEPTEES")
CANCELLED = gettext_noop("RESERVATIONS ANNULEES")


def _key(*parts):
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()[:40]


def family_emails(family_ids):
    """family id -> sorted distinct e-mail addresses of its active accounts."""
    emails = defaultdict(set)
    rows = (
        Family.accounts.through.objects.filter(family_id__in=family_ids, user__is_active=True)
        .exclude(user__email="")
        .values_list("family_id", "user__email")
    )
    for family_id, email in rows:
        emails[family_id].add(email.lower())
    return {family_id: sorted(found) for family_id, found in emails.items()}


def report_sections(movements):
    """The manual's three sections, each [(activity, [(child, [dates])])], from
    one family's movements of a run, judged by each booking's state now."""
    sections = {WAITLISTED: defaultdict(lambda: defaultdict(set)), ACCEPTED: defaultdict(lambda: defaultdict(set)),
                CANCELLED: defaultdict(lambda: defaultdict(set))}  # fmt: skip
    for m in movements:
        booking = m.booking
        if m.kind == MovementKind.CANCEL:
            if m.outcome == BookingStatus.CANCELLED:
                target = CANCELLED
            else:
                continue
        elif booking.status == BookingStatus.ACCEPTED:
            target = ACCEPTED
        elif booking.status == BookingStatus.WAITLISTED and m.kind == MovementKind.BOOK:
            target = WAITLISTED
        else:
            continue  # refused demandes are shown at confirmation; cancelled since: in ANNULEES
        child = f"{booking.child.last_name.upper()} {booking.child.first_name}"
        sections[target][booking.activity.name][child].add(booking.date)
    result = []
    for title in (WAITLISTED, ACCEPTED, CANCELLED):
        by_activity = sections[title]
        if not by_activity:
            continue
        activities = [
            (name, [(child, ", ".join(short_day(d) for d in sorted(days))) for child, days in sorted(children.items())])
            for name, children in sorted(by_activity.items())
        ]
        result.append((gettext_lazy(title), activities))
    return result


def report_context(family, structure, movements):
    new = sum(1 for m in movements if m.kind == MovementKind.BOOK)
    cancellations = sum(1 for m in movements if m.kind == MovementKind.CANCEL)
    return {
        "family": family,
        "structure": structure,
        "total": len(movements),
        "new": new,
        "cancellations": cancellations,
        "sections": report_sections(movements),
        "site_url": settings.SITE_URL + reverse("family:reservations"),
    }


REPORT_CHUNK = 500


def queue_run_reports(run):
    """Queue the comptes-rendus of every report of the run's structure not
    e-mailed yet (this run's, and any a crash left behind). One e-mail per
    address of each family with movements (N2). Safe to call again."""
    return queue_pending_reports(run.structure)


def queue_pending_reports(structure, *, chunk=REPORT_CHUNK):
    """Stream the pending reports family by family, a chunk per transaction:
    memory stays flat and the database is never locked for long."""
    queued = 0
    while True:
        with transaction.atomic():
            reports = list(
                FamilyReport.objects.select_for_update(skip_locked=True)
                .filter(run__structure=structure, emailed_at__isnull=True)
                .select_related("family", "run")
                .order_by("id")[:chunk]
            )
            if not reports:
                return queued
            queued += _queue_reports(structure, reports)
            FamilyReport.objects.filter(pk__in=[r.pk for r in reports]).update(emailed_at=timezone.now())


def _queue_reports(structure, reports):
    emails = family_emails([r.family_id for r in reports])
    wanted = {(r.run_id, r.family_id): r for r in reports if r.family_id in emails}
    if not wanted:
        return 0
    movements = (
        Movement.objects.filter(run_id__in={run for run, _ in wanted}, family_id__in={f for _, f in wanted})
        .select_related("booking__child", "booking__activity")
        .only(
            "kind", "outcome", "run_id", "family_id", "booking__status", "booking__date",
            "booking__child__first_name", "booking__child__last_name", "booking__activity__name",
        )
        .order_by("run_id", "family_id", "id")
    )  # fmt: skip
    rows = []
    languages = recipient_languages(email for found in emails.values() for email in found)
    for (run_id, family_id), group in groupby(movements, key=lambda m: (m.run_id, m.family_id)):
        report = wanted.get((run_id, family_id))
        if report is None:
            continue
        group = list(group)
        rendered = {}  # language -> (subject, text, html): each address gets its account's language
        for email in emails[family_id]:
            language = languages.get(email, settings.LANGUAGE_CODE)
            if language not in rendered:
                # The context too is built in that language (its dates are formatted then).
                with translation.override(language):
                    context = report_context(report.family, structure, group)
                rendered[language] = render_email("notifications/email/report", context, language)
            subject, text, html = rendered[language]
            rows.append(
                OutboxEmail(
                    kind="compte-rendu", to=email, subject=subject, body_text=text, body_html=html,
                    structure=structure, dedupe_key=_key("report", run_id, family_id, email),
                )
            )  # fmt: skip
    OutboxEmail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def queue_promotion_notice(movement):
    """A waitlisted booking got a place: tell the family at once (N3, D3)."""
    booking = movement.booking
    family = movement.family
    emails = family_emails([family.pk]).get(family.pk, [])
    if not emails:
        return 0
    deadline = cancellation_deadline(booking.activity, booking.date)  # the booking rule, one query
    deadline_text = format_lazy(
        gettext_lazy("{day} à {time}"), day=short_day_lazy(deadline.date()), time=f"{deadline:%H:%M}"
    )
    return _queue_booking_notice(
        booking, emails, kind="liste-attente", template="notifications/email/promotion",
        dedupe=("promotion", movement.pk), deadline=deadline_text,
    )  # fmt: skip


def queue_closure_notice(booking, reason):
    """An activity day was closed by the structure: tell the family at once."""
    family = booking.child.family
    emails = family_emails([family.pk]).get(family.pk, [])
    return _queue_booking_notice(
        booking, emails, kind="fermeture", template="notifications/email/closure",
        dedupe=("closure", booking.pk), reason=reason,
    )  # fmt: skip


def _queue_booking_notice(booking, emails, *, kind, template, dedupe, **extra):
    """One notice about one booking to each address of its family, once per `dedupe`."""
    if not emails:
        return 0
    family = booking.child.family
    context = {
        "family": family,
        "structure": family.structure,
        "child": booking.child,
        "activity": booking.activity,
        # Lazy: formatted when rendered, in the recipient's language.
        "day": short_day_lazy(booking.date),
        "site_url": settings.SITE_URL + reverse("family:reservations"),
        **extra,
    }
    languages = recipient_languages(emails)
    rendered = {}  # language -> (subject, text, html): each address gets its account's language
    rows = []
    for email in emails:
        language = languages.get(email, settings.LANGUAGE_CODE)
        if language not in rendered:
            rendered[language] = render_email(template, context, language)
        subject, text, html = rendered[language]
        rows.append(
            OutboxEmail(
                kind=kind, to=email, subject=subject, body_text=text, body_html=html,
                structure=family.structure, dedupe_key=_key(*dedupe, email),
            )
        )  # fmt: skip
    OutboxEmail.objects.bulk_create(
        rows,
        ignore_conflicts=True,
    )  # fmt: skip
    return len(emails)
