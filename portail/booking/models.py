"""Booking records: bookings, the movements (demandes) that change them, the
family's draft, confirmations, the audit trail and the processing runs.

The rules that decide what may happen live in booking/rules.py (pure) and the
services (states, drafts, confirmation, waiting list, processing) next to it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.lib.validators import validate_date_window


class BookingStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Acceptée")
    WAITLISTED = "waitlisted", _("En liste d'attente")
    REFUSED = "refused", _("Refusée")
    CANCELLED = "cancelled", _("Annulée")


ACTIVE_STATUSES = (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED)


class Booking(models.Model):
    """One child on one activity on one day: a place, a waiting-list place, or
    the trace of a refused or cancelled demande."""

    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, related_name="bookings", verbose_name=_("enfant")
    )
    activity = models.ForeignKey(
        "structures.Activity", on_delete=models.CASCADE, related_name="bookings", verbose_name=_("activité")
    )
    date = models.DateField(_("jour"))
    status = models.CharField(_("état"), max_length=12, choices=BookingStatus.choices)
    arrival = models.TimeField(_("arrivée"), null=True, blank=True)
    departure = models.TimeField(_("départ"), null=True, blank=True)
    # Waiting-list order is the order of the rows' ids: a waitlisted row is
    # inserted while its opening is locked (booking.locks), so id order is the
    # order in which confirmations took the lock. queued_at is the moment the
    # demande was made (shown to staff); two parents' clocks can be read in one
    # order and their locks taken in the other, so it does not decide the order.
    queued_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    # Cancelled after the activity's cancellation délai (only staff can do that,
    # for a family that asked too late): billed like the booking (issue 16).
    # Never set by a closure, the end of an enrolment or a justified absence.
    cancelled_late = models.BooleanField(_("annulée hors délai"), default=False, db_default=False)
    # The age group whose places it takes (issue 18 point 9), set by the engine
    # when it is created on an activity with groups; None otherwise.
    age_group = models.ForeignKey(
        "structures.AgeGroup", on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="bookings", verbose_name=_("groupe d'âge"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        ordering = ["date", "activity", "child"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "activity", "date"],
                condition=Q(status__in=["accepted", "waitlisted"]),
                name="one_active_booking_per_child_activity_day",
            )
        ]
        indexes = [
            models.Index(fields=["activity", "date", "status"], name="booking_occupancy"),
            models.Index(fields=["child", "date"], name="booking_child_date"),
        ]

    def __str__(self) -> str:
        return f"{self.child} — {self.activity} — {self.date:%d/%m/%Y} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Confirmation(models.Model):
    """One click on "Confirmer": its draft token makes a replay record nothing twice (R10)."""

    token = models.UUIDField(unique=True)
    family = models.ForeignKey("structures.Family", on_delete=models.CASCADE, related_name="confirmations")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    confirmed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        ordering = ["-confirmed_at"]

    def __str__(self) -> str:
        return f"{self.family} — {timezone.localtime(self.confirmed_at):%d/%m/%Y %H:%M}"


class MovementKind(models.TextChoices):
    BOOK = "book", _("Réservation")
    CANCEL = "cancel", _("Annulation")
    PROMOTION = "promotion", _("Place attribuée depuis la liste d'attente")


class Movement(models.Model):
    """A demande (book or cancel) or a promotion, with its outcome. It is
    "Non transmis" until a processing run stamps it (N1)."""

    kind = models.CharField(_("type"), max_length=10, choices=MovementKind.choices)
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="movements", verbose_name=_("réservation")
    )
    family = models.ForeignKey("structures.Family", on_delete=models.CASCADE, related_name="movements")
    structure = models.ForeignKey("structures.Structure", on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(_("résultat"), max_length=12, choices=BookingStatus.choices)
    waiting_position = models.PositiveIntegerField(_("position en liste d'attente"), null=True, blank=True)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    confirmation = models.ForeignKey(
        Confirmation, on_delete=models.CASCADE, null=True, blank=True, related_name="movements"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("le"), default=timezone.now)
    run = models.ForeignKey("ProcessingRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="movements")

    class Meta:
        verbose_name = _("mouvement")
        verbose_name_plural = _("mouvements")
        ordering = ["created_at", "id"]
        indexes = [
            # Only the pending ones: the run never walks the transmitted history.
            models.Index(fields=["structure", "id"], condition=Q(run__isnull=True), name="movement_pending"),
            models.Index(fields=["run", "family"], name="movement_run_family"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.booking}"

    @property
    def transmitted(self) -> bool:
        return self.run_id is not None


class AuditSource(models.TextChoices):
    FAMILY = "family", _("Famille")
    STAFF = "staff", _("Personnel")
    PROMOTION = "promotion", _("Liste d'attente")
    RUN = "run", _("Traitement")


class BookingAudit(models.Model):
    """Every change of a booking: who, when, from what to what. A booking's
    birth in a family's confirmation is recorded by its Movement (kind "book",
    with its confirmation) and not repeated here: on registration night that is
    a third of the rows written under the openings' locks. The staff's audit
    screen (staff.queries.AuditEntries) shows both."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="audit")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    source = models.CharField(max_length=10, choices=AuditSource.choices)
    from_status = models.CharField(max_length=12, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=BookingStatus.choices)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("historique de réservation")
        verbose_name_plural = _("historique des réservations")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.booking_id}: {self.from_status or '—'} → {self.to_status}"


class OpeningEvent(models.TextChoices):
    CAPACITY = "capacity", _("Places modifiées")
    CLOSURE = "closure", _("Journée fermée")


class OpeningAudit(models.Model):
    """A staff action on an opening itself (B7): a change of its places, its
    closure. Its bookings' changes are BookingAudit rows; these have no booking,
    so they are kept here, in the booking app's audit too, and the staff's audit
    screens (staff.queries.AuditEntries) read both as one trail. The places
    before and after are the effective ones (the activity's default when the
    day has none): the opening's capacity history."""

    opening = models.ForeignKey(
        "structures.Opening", on_delete=models.CASCADE, related_name="audit", verbose_name=_("ouverture")
    )
    event = models.CharField(_("action"), max_length=10, choices=OpeningEvent.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("par")
    )
    capacity_before = models.PositiveIntegerField(null=True, blank=True)
    capacity_after = models.PositiveIntegerField(null=True, blank=True)
    waiting_before = models.PositiveIntegerField(null=True, blank=True)
    waiting_after = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(_("motif"), max_length=200)

    class Meta:
        verbose_name = _("historique d'ouverture")
        verbose_name_plural = _("historique des ouvertures")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.opening_id}: {self.get_event_display()}"


class DraftAction(models.TextChoices):
    BOOK = "book", _("à réserver")
    CANCEL = "cancel", _("à annuler")


class Draft(models.Model):
    """A family's pending changes, kept on the server until confirmed or
    discarded (R5–R9). One per account and family. Its token is its version:
    every change of its items gives it a new one (booking/drafts.py), so a
    recap's "Confirmer" records exactly what that recap showed (R9), and an old
    recap page cannot confirm again."""

    family = models.ForeignKey("structures.Family", on_delete=models.CASCADE, related_name="drafts")
    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    token = models.UUIDField(default=uuid.uuid4)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["family", "account"], name="one_draft_per_account_family")]

    def __str__(self) -> str:
        return f"Brouillon {self.family}"


class DraftItem(models.Model):
    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="items")
    child = models.ForeignKey("structures.Child", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("structures.Activity", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    action = models.CharField(max_length=6, choices=DraftAction.choices)
    arrival = models.TimeField(null=True, blank=True)
    departure = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "activity", "child"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "child", "activity", "date"], name="one_draft_item_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.date:%d/%m/%Y}"


class ProcessingRun(models.Model):
    """One run of a structure's processing ("transmission", N1)."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="processing_runs", verbose_name=_("structure")
    )
    started_at = models.DateTimeField(_("démarré le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    movements_count = models.PositiveIntegerField(_("mouvements"), default=0)
    families_count = models.PositiveIntegerField(_("familles"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("lancé par"),
    )  # fmt: skip
    # The openings whose place counters differed from their bookings when the
    # run checked them (booking.counters.find_drift, issue 15): how many, and
    # the first DRIFT_KEPT of them (CounterDrift.as_json). Reported to staff on
    # the runs page with the advice to run `manage.py recount`; the run itself
    # never repairs them silently.
    counter_drift_count = models.PositiveIntegerField(_("journées aux compteurs faux"), default=0)
    counter_drift = models.JSONField(_("compteurs faux"), default=list, blank=True)

    DRIFT_KEPT = 50

    class Meta:
        verbose_name = _("traitement")
        verbose_name_plural = _("traitements")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["structure", "-finished_at"], name="run_structure_finished")]

    def __str__(self) -> str:
        return f"{self.structure} — {timezone.localtime(self.started_at):%d/%m/%Y %H:%M}"


class FamilyReport(models.Model):
    """The compte-rendu of one run for one family (N2): built by the run,
    e-mailed by the notifications outbox. Unique per run and family, so a
    rerun never prepares or sends it twice."""

    run = models.ForeignKey(ProcessingRun, on_delete=models.CASCADE, related_name="reports")
    family = models.ForeignKey("structures.Family", on_delete=models.CASCADE, related_name="reports")
    new_bookings = models.PositiveIntegerField(default=0)
    cancellations = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Set once its e-mails are in the outbox (or it had no address): a report
    # still empty here is picked up by the next pass, so none is lost.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "family"], name="one_report_per_run_family")]

    def __str__(self) -> str:
        return f"Compte-rendu {self.family} ({self.run})"


class Consumption(models.Model):
    """What a child actually attended ("consommation", H1), recorded by staff
    (back office now, the roll call later)."""

    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, related_name="consumptions", verbose_name=_("enfant")
    )
    activity = models.ForeignKey(
        "structures.Activity", on_delete=models.CASCADE, related_name="consumptions", verbose_name=_("activité")
    )
    date = models.DateField(_("jour"), validators=[validate_date_window])
    present = models.BooleanField(_("présent"), default=True)
    arrival = models.TimeField(_("arrivée"), null=True, blank=True)
    departure = models.TimeField(_("départ"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("saisi par"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("saisi le"), default=timezone.now)

    class Meta:
        verbose_name = _("consommation")
        verbose_name_plural = _("consommations")
        ordering = ["date", "activity", "child"]
        constraints = [
            models.UniqueConstraint(fields=["child", "activity", "date"], name="one_consumption_per_child_activity_day")
        ]
        indexes = [models.Index(fields=["child", "date"], name="consumption_child_date")]

    def __str__(self) -> str:
        return f"{self.child} — {self.activity} — {self.date:%d/%m/%Y}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.child_id and self.activity_id and self.child.family.structure_id != self.activity.structure_id:
            raise ValidationError(_("L'enfant et l'activité doivent appartenir à la même structure."))
