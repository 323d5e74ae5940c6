"""The things a structure sets up: itself, its families and children, its
activities with their openings and enrolments, its closed days and messages."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portail.lib.times import from_minutes, minutes
from portail.lib.validators import (
    MAX_CLOSURE_DAYS,
    places_validators,
    validate_date_window,
    validate_multiline,
    validate_single_line,
)


class HolidaySubdivision(models.TextChoices):
    """Where a structure is, for its public holidays: the values are the `holidays`
    package's subdivisions of France ("" = none: the national holidays only).
    Alsace-Moselle adds Good Friday and 26 December; the overseas departments
    and collectivities add their abolition-of-slavery day and others."""

    METROPOLITAN = "", _("France métropolitaine")
    MOSELLE = "57", _("Alsace-Moselle (Moselle)")
    ALSACE = "6AE", _("Alsace-Moselle (Bas-Rhin, Haut-Rhin)")
    GUADELOUPE = "971", _("Guadeloupe")
    MARTINIQUE = "972", _("Martinique")
    GUYANE = "973", _("Guyane")
    REUNION = "974", _("La Réunion")
    MAYOTTE = "976", _("Mayotte")
    SAINT_BARTHELEMY = "BL", _("Saint-Barthélemy")
    SAINT_MARTIN = "MF", _("Saint-Martin")
    SAINT_PIERRE = "PM", _("Saint-Pierre-et-Miquelon")
    NOUVELLE_CALEDONIE = "NC", _("Nouvelle-Calédonie")
    POLYNESIE = "PF", _("Polynésie française")
    WALLIS_FUTUNA = "WF", _("Wallis-et-Futuna")


class Structure(models.Model):
    name = models.CharField(_("nom"), max_length=200, unique=True, validators=[validate_single_line])
    email = models.EmailField(_("e-mail de contact"), blank=True)
    phone = models.CharField(_("téléphone de contact"), max_length=30, blank=True, validators=[validate_single_line])
    address = models.TextField(_("adresse"), blank=True, validators=[validate_multiline])
    time_zone = models.CharField(_("fuseau horaire"), max_length=64, default="Europe/Paris", editable=False)
    processing_time = models.TimeField(
        _("heure du traitement de nuit"),
        default=datetime.time(2, 0),
        help_text=_("Heure à laquelle les demandes « Non transmis » sont traitées chaque nuit."),
    )
    holiday_subdivision = models.CharField(
        _("jours fériés"),
        max_length=3,
        choices=HolidaySubdivision.choices,
        default=HolidaySubdivision.METROPOLITAN,
        blank=True,
        help_text=_(
            "Jours fériés qui s'appliquent à la structure : ni ouvertures créées en série, "
            "ni jours ouvrés dans le calcul des délais."
        ),
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="staff_structures",
        verbose_name=_("personnel"),
        limit_choices_to={"is_staff": True},
    )
    # Issue 16 point 5 (billing): no new booking while an invoice of the family
    # is overdue by more than this many days (empty: never blocked). Read by
    # billing's receiver of booking.signals.family_booking_block.
    block_bookings_overdue_days = models.PositiveSmallIntegerField(
        _("bloquer les réservations après un retard de paiement de (jours)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(3650)],
        help_text=_("Laisser vide pour ne jamais bloquer les réservations pour une facture impayée."),
    )
    # Issue 17 point 4 (family file): no new booking while a required document
    # is missing or expired. Read by dossier's receiver of family_booking_block.
    block_bookings_missing_documents = models.BooleanField(
        _("bloquer les réservations si un document obligatoire manque ou a expiré"), default=False
    )
    # Issue 17 point 6 (RGPD): health data and documents of a family without
    # any activity for this many months are deleted by the worker (logged).
    health_data_retention_months = models.PositiveSmallIntegerField(
        _("conservation des données de santé et documents (mois sans activité)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Civility(models.TextChoices):
    MR = "M.", _("M.")
    MRS = "Mme", _("Mme")


class Family(models.Model):
    """A household as one structure knows it; one or more accounts log into it."""

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="families", verbose_name=_("structure")
    )
    reference = models.CharField(
        _("référence"),
        max_length=50,
        help_text=_("Code de la famille dans la structure (sert à l'import)."),
        validators=[validate_single_line],
    )
    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices)
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    accounts = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="families", verbose_name=_("comptes")
    )
    # Who to call when an e-mail cannot reach the family (a day closed: staff
    # « Fermer une journée » prints the families without an e-mail address).
    phone = models.CharField(_("téléphone"), max_length=30, blank=True, validators=[validate_single_line])
    # The household's postal address: on invoices (issue 16) and kept up to
    # date by the family (issue 17).
    address = models.TextField(_("adresse"), blank=True, validators=[validate_multiline])
    # Quotient familial (issue 16 point 1): the CAF's figure and the end of its
    # validity (the attestation's). Without a valid QF on a day, the family
    # pays the top bracket. Set by staff, or by validating the family's CAF
    # attestation (issue 17 point 4).
    quotient_familial = models.PositiveIntegerField(
        _("quotient familial"), null=True, blank=True, validators=[MaxValueValidator(100_000)]
    )
    qf_valid_until = models.DateField(
        _("quotient familial valable jusqu'au"), null=True, blank=True, validators=[validate_date_window]
    )

    class Meta:
        verbose_name = _("famille")
        verbose_name_plural = _("familles")
        ordering = ["last_name", "first_name"]
        constraints = [models.UniqueConstraint(fields=["structure", "reference"], name="family_reference_unique")]

    def __str__(self):
        return f"{self.civility} {self.last_name.upper()} {self.first_name}"

    def clean(self):
        super().clean()
        if (self.quotient_familial is None) != (self.qf_valid_until is None):
            raise ValidationError(
                {"qf_valid_until": _("Indiquez le quotient familial et sa date de fin de validité, ou aucun des deux.")}
            )

    def qf_on(self, day: datetime.date) -> int | None:
        """The family's quotient familial on `day`, None when it has none or it
        has expired (the family then pays the top bracket, issue 16)."""
        if self.quotient_familial is None or self.qf_valid_until is None or day > self.qf_valid_until:
            return None
        return self.quotient_familial


class Child(models.Model):
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="children", verbose_name=_("famille"))
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    birth_date = models.DateField(_("date de naissance"), validators=[validate_date_window])
    school_class = models.CharField(_("classe"), max_length=50, blank=True, validators=[validate_single_line])

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["family", "first_name", "birth_date"], name="child_unique_in_family")
        ]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"


class DayCount(models.TextChoices):
    CALENDAR = "calendar", _("jours calendaires")
    WORKING = "working", _("jours ouvrés")


colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Indiquez une couleur au format #RRVVBB, par exemple #1E88E5.")
)


class Activity(models.Model):
    """Something a child can be booked on, per day (B2)."""

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="activities", verbose_name=_("structure")
    )
    name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    code = models.CharField(
        _("code"), max_length=20, help_text=_("Code court, utilisé pour l'import."), validators=[validate_single_line]
    )
    colour = models.CharField(_("couleur"), max_length=7, default="#1E88E5", validators=[colour_validator])
    # A domain fact, not a guess from the name: the kitchen's weekly count (staff "Repas")
    # lists these activities first and totals them.
    serves_meal = models.BooleanField(
        _("repas servi"), default=False, help_text=_("Cochez si l'activité comprend un repas (cantine, restauration).")
    )

    is_limited = models.BooleanField(_("places limitées"), default=False)
    capacity = models.PositiveIntegerField(_("places par jour"), default=0, validators=places_validators)
    waiting_list_capacity = models.PositiveIntegerField(
        _("places en liste d'attente"),
        default=0,
        help_text=_("0 : pas de liste d'attente."),
        validators=places_validators,
    )

    has_times = models.BooleanField(_("à horaires"), default=False)
    earliest_time = models.TimeField(_("arrivée au plus tôt"), null=True, blank=True)
    latest_time = models.TimeField(_("départ au plus tard"), null=True, blank=True)
    time_step_minutes = models.PositiveSmallIntegerField(
        _("pas des horaires (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )

    booking_deadline_days = models.PositiveSmallIntegerField(
        _("délai de réservation (jours avant)"), default=2, validators=[MaxValueValidator(365)]
    )
    booking_deadline_time = models.TimeField(_("délai de réservation (heure)"), default=datetime.time(10, 0))
    booking_deadline_count = models.CharField(
        _("délai de réservation compté en"), max_length=10, choices=DayCount.choices, default=DayCount.CALENDAR
    )
    cancellation_deadline_days = models.PositiveSmallIntegerField(
        _("délai d'annulation (jours avant)"), default=2, validators=[MaxValueValidator(365)]
    )
    cancellation_deadline_time = models.TimeField(_("délai d'annulation (heure)"), default=datetime.time(10, 0))
    cancellation_deadline_count = models.CharField(
        _("délai d'annulation compté en"), max_length=10, choices=DayCount.choices, default=DayCount.CALENDAR
    )

    booking_period_start = models.DateField(_("période de réservation : du"), validators=[validate_date_window])
    booking_period_end = models.DateField(_("période de réservation : au"), validators=[validate_date_window])
    bookings_open_at = models.DateTimeField(
        _("réservations ouvertes à partir du"),
        null=True,
        blank=True,
        validators=[validate_date_window],
        help_text=_("Laisser vide si les réservations sont ouvertes dès maintenant."),
    )
    # A leisure centre runs when the schools are off: the structure's school-holiday
    # closures (ClosedPeriod.school_holidays) do not close it (issue 18 point 2).
    open_during_school_holidays = models.BooleanField(
        _("ouverte pendant les vacances scolaires"),
        default=False,
        help_text=_("Cochez pour un accueil de loisirs : les fermetures « vacances scolaires » ne s'appliquent pas."),
    )

    # Whether the activity has age groups (AgeGroup), kept by AgeGroup.save and
    # delete: the booking engine reads the groups, the children's birth dates
    # and the groups' counters only for such activities, so an activity
    # without groups costs no query more than before (issue 18 point 9).
    has_age_groups = models.BooleanField(_("groupes d'âge"), default=False, editable=False)

    class Meta:
        verbose_name = _("activité")
        verbose_name_plural = _("activités")
        ordering = ["structure", "name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "code"], name="activity_code_unique"),
            models.CheckConstraint(
                condition=Q(booking_period_start__lte=models.F("booking_period_end")), name="activity_period_ordered"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if (
            self.booking_period_start
            and self.booking_period_end
            and self.booking_period_start > self.booking_period_end
        ):
            errors["booking_period_end"] = _("La fin de la période doit suivre son début.")
        if self.is_limited and not self.capacity:
            errors["capacity"] = _("Une activité à places limitées doit avoir au moins une place.")
        if self.has_times:
            missing = {
                field: _("Obligatoire pour une activité à horaires.")
                for field in ("earliest_time", "latest_time", "time_step_minutes")
                if getattr(self, field) is None
            }
            errors.update(missing)
            if not missing:
                span = minutes(self.latest_time) - minutes(self.earliest_time)
                if span <= 0:
                    errors["latest_time"] = _("Le départ au plus tard doit suivre l'arrivée au plus tôt.")
                elif span % self.time_step_minutes:
                    errors["time_step_minutes"] = _("Le pas doit diviser exactement la plage horaire.")
        if errors:
            raise ValidationError(errors)

    def time_choices(self):
        """Every allowed time of an à horaires activity, in its step."""
        if not self.has_times:
            return []
        start, end = minutes(self.earliest_time), minutes(self.latest_time)
        return [from_minutes(m) for m in range(start, end + 1, self.time_step_minutes)]


class OpeningQuerySet(models.QuerySet):
    def open(self):
        """The openings not closed by staff: a closed day is kept (its history,
        its reason) but is not open anywhere — calendars, bookings, planning."""
        return self.filter(closed_at__isnull=True)


class Opening(models.Model):
    """An activity open on a date, with optional capacity overrides (B3).
    Staff may close it (booking.staff_actions.close_day): it is then kept,
    marked closed with who, when and why, and is no longer open."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="openings", verbose_name=_("activité")
    )
    date = models.DateField(_("date"), validators=[validate_date_window])
    capacity = models.PositiveIntegerField(
        _("places"),
        null=True,
        blank=True,
        help_text=_("Vide : les places par défaut de l'activité."),
        validators=places_validators,
    )
    waiting_list_capacity = models.PositiveIntegerField(
        _("places en liste d'attente"),
        null=True,
        blank=True,
        help_text=_("Vide : la valeur par défaut de l'activité."),
        validators=places_validators,
    )
    closed_at = models.DateTimeField(_("fermée le"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False,
        related_name="+", verbose_name=_("fermée par"),
    )  # fmt: skip
    closure_reason = models.CharField(_("motif de fermeture"), max_length=200, blank=True, editable=False)
    # Its active bookings, counted (issue 15): kept by the booking engine in the
    # transaction that changes a booking's status, under this row's lock
    # (booking.snapshot.Snapshot.count/save_counts), so that a calendar reads
    # places from the openings instead of counting booking rows.
    # `manage.py recount` repairs them; the processing run checks them.
    accepted_count = models.PositiveIntegerField(_("places prises"), default=0, editable=False)
    waitlisted_count = models.PositiveIntegerField(_("en liste d'attente"), default=0, editable=False)

    objects = OpeningQuerySet.as_manager()

    class Meta:
        verbose_name = _("ouverture")
        verbose_name_plural = _("ouvertures")
        ordering = ["date", "activity"]
        constraints = [models.UniqueConstraint(fields=["activity", "date"], name="opening_unique_per_day")]

    def __str__(self):
        return f"{self.activity} — {self.date:%d/%m/%Y}"

    COUNTERS = ("accepted_count", "waitlisted_count")

    def save(self, *args, **kwargs):
        # The counters belong to the booking engine, which changes them under the
        # row's lock: a form or admin save of an object read earlier must never
        # write back its (possibly stale) counts. Only an explicit update_fields
        # naming them writes them.
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                f.attname for f in self._meta.concrete_fields if not f.primary_key and f.attname not in self.COUNTERS
            ]
        super().save(*args, **kwargs)

    @property
    def is_closed(self):
        return self.closed_at is not None

    @property
    def effective_capacity(self):
        return self.activity.capacity if self.capacity is None else self.capacity

    @property
    def effective_waiting_list_capacity(self):
        if self.waiting_list_capacity is None:
            return self.activity.waiting_list_capacity
        return self.waiting_list_capacity


MAX_GROUP_AGE = 25


class AgeGroup(models.Model):
    """Places of an activity kept for the children of an age (issue 18 point 9):
    a leisure centre's « 3–5 ans » and « 6–11 ans » each have their places and
    waiting list. A child's group on a day is the one whose range holds its
    age that day, in whole years; a child of no group cannot book. An activity
    without groups keeps its own places (Activity.capacity, Opening.capacity);
    with groups, the groups' places are the day's."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="age_groups", verbose_name=_("activité")
    )
    name = models.CharField(_("nom"), max_length=50, validators=[validate_single_line])
    min_age = models.PositiveSmallIntegerField(_("âge minimum (ans)"), validators=[MaxValueValidator(MAX_GROUP_AGE)])
    max_age = models.PositiveSmallIntegerField(
        _("âge maximum (ans)"),
        help_text=_("Inclus : 5 pour « 3–5 ans »."),
        validators=[MaxValueValidator(MAX_GROUP_AGE)],
    )
    capacity = models.PositiveIntegerField(_("places par jour"), validators=places_validators)
    waiting_list_capacity = models.PositiveIntegerField(
        _("places en liste d'attente"),
        default=0,
        help_text=_("0 : pas de liste d'attente."),
        validators=places_validators,
    )

    class Meta:
        verbose_name = _("groupe d'âge")
        verbose_name_plural = _("groupes d'âge")
        ordering = ["activity", "min_age"]
        constraints = [
            models.CheckConstraint(condition=Q(min_age__lte=models.F("max_age")), name="age_group_range_ordered"),
        ]

    def __str__(self):
        return f"{self.name} ({self.min_age}–{self.max_age} ans)"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        Activity.objects.filter(pk=self.activity_id).update(has_age_groups=True)

    def delete(self, *args, **kwargs):
        activity_id = self.activity_id
        result = super().delete(*args, **kwargs)
        Activity.objects.filter(pk=activity_id).update(
            has_age_groups=AgeGroup.objects.filter(activity_id=activity_id).exists()
        )
        return result

    def clean(self):
        if self.min_age is None or self.max_age is None:
            return
        if self.min_age > self.max_age:
            raise ValidationError({"max_age": _("L'âge maximum doit être au moins l'âge minimum.")})
        # The admin's inline checks its rows together (structures.admin.AgeGroupFormSet):
        # the saved ranges may be the very ones being changed in the same form.
        if self.activity_id and not getattr(self, "checked_with_siblings", False):
            overlapping = AgeGroup.objects.filter(
                activity_id=self.activity_id, min_age__lte=self.max_age, max_age__gte=self.min_age
            ).exclude(pk=self.pk)
            if overlapping.exists():
                raise ValidationError(_("Les âges de ce groupe chevauchent ceux d'un autre groupe de l'activité."))


class GroupCount(models.Model):
    """An age group's bookings on an opening, counted like the opening's own
    (Opening.accepted_count, waitlisted_count, which stay the day's totals):
    kept by the booking engine under the opening's lock; no row yet = 0."""

    opening = models.ForeignKey(
        Opening, on_delete=models.CASCADE, related_name="group_counts", verbose_name=_("ouverture")
    )
    age_group = models.ForeignKey(
        AgeGroup, on_delete=models.CASCADE, related_name="counts", verbose_name=_("groupe d'âge")
    )
    accepted_count = models.PositiveIntegerField(_("places prises"), default=0)
    waitlisted_count = models.PositiveIntegerField(_("en liste d'attente"), default=0)

    class Meta:
        verbose_name = _("places prises d'un groupe d'âge")
        verbose_name_plural = _("places prises des groupes d'âge")
        constraints = [models.UniqueConstraint(fields=["opening", "age_group"], name="group_count_unique")]

    def __str__(self):
        return f"{self.opening} — {self.age_group}"


class Enrolment(models.Model):
    """A child may book an activity between two dates ("inscription")."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("enfant"))
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="enrolments", verbose_name=_("activité")
    )
    start_date = models.DateField(_("du"), validators=[validate_date_window])
    end_date = models.DateField(_("au"), validators=[validate_date_window])

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["child", "activity", "start_date"]
        constraints = [
            models.UniqueConstraint(fields=["child", "activity", "start_date"], name="enrolment_unique_start"),
            models.CheckConstraint(condition=Q(start_date__lte=models.F("end_date")), name="enrolment_dates_ordered"),
        ]

    def __str__(self):
        return f"{self.child} — {self.activity}"

    def clean(self):
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValidationError({"end_date": _("La fin de l'inscription doit suivre son début.")})
        if self.child_id and self.activity_id and self.child.family.structure_id != self.activity.structure_id:
            raise ValidationError(_("L'enfant et l'activité doivent appartenir à la même structure."))


class ClosedPeriod(models.Model):
    """Days a structure is closed (school holidays, bridges): no openings then.

    A period rather than one row per day, since a clerk enters "Vacances de
    Noël, du 19/12 au 03/01" in one go. French public holidays are computed
    (portail.structures.calendar), not stored.
    """

    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="closed_periods", verbose_name=_("structure")
    )
    label = models.CharField(_("libellé"), max_length=100, validators=[validate_single_line])
    start_date = models.DateField(_("du"), validators=[validate_date_window])
    end_date = models.DateField(_("au"), validators=[validate_date_window])
    # Issue 18 point 2: a closure may concern some activities only (none chosen:
    # the whole structure), and school holidays spare the activities open then.
    activities = models.ManyToManyField(
        Activity,
        blank=True,
        related_name="closed_periods",
        verbose_name=_("activités"),
        help_text=_("Aucune activité choisie : toute la structure est fermée."),
    )
    school_holidays = models.BooleanField(
        _("vacances scolaires"),
        default=False,
        help_text=_(
            "Cochez pour des vacances scolaires : les activités ouvertes pendant les vacances "
            "scolaires restent ouvertes (sauf si elles sont choisies ci-dessus)."
        ),
    )

    class Meta:
        verbose_name = _("fermeture")
        verbose_name_plural = _("fermetures")
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=models.F("end_date")), name="closed_period_ordered")
        ]

    def __str__(self):
        return f"{self.label} ({self.start_date:%d/%m/%Y} – {self.end_date:%d/%m/%Y})"

    def clean(self):
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValidationError({"end_date": _("La fin doit suivre le début.")})
        # Rules that walk the calendar (délais over closed days) stay short, and a
        # typing error such as 01/01/0001 – 29/12/2026 cannot close years at once.
        if self.start_date and self.end_date and (self.end_date - self.start_date).days >= MAX_CLOSURE_DAYS:
            raise ValidationError(
                {"end_date": _("Une fermeture couvre au plus une année scolaire (366 jours) : découpez-la.")}
            )


class InfoMessageQuerySet(models.QuerySet):
    def visible_on(self, day):
        return self.filter(Q(visible_from__isnull=True) | Q(visible_from__lte=day)).filter(
            Q(visible_until__isnull=True) | Q(visible_until__gte=day)
        )


class InfoMessage(models.Model):
    """A message on the families' home page (A2, B5)."""

    structure = models.ForeignKey(
        Structure, on_delete=models.CASCADE, related_name="messages", verbose_name=_("structure")
    )
    title = models.CharField(_("titre"), max_length=200, validators=[validate_single_line])
    text = models.TextField(_("texte"), validators=[validate_multiline])
    visible_from = models.DateField(_("visible à partir du"), null=True, blank=True, validators=[validate_date_window])
    visible_until = models.DateField(_("visible jusqu'au"), null=True, blank=True, validators=[validate_date_window])
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)

    objects = InfoMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message d'information")
        verbose_name_plural = _("messages d'information")
        ordering = ["-visible_from", "-created_at"]

    def __str__(self):
        return self.title
