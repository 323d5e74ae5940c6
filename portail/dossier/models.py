"""The family file (issue 17): parents' contacts, health sheets, people allowed
to pick a child up, documents, absences, and what the RGPD asks of us.

Health data is sensitive: only the family and the staff of the child's
structure see it, and every staff view is recorded (`HealthAccess`). Files are
stored under settings.PRIVATE_MEDIA_ROOT (never under the static files) and
served only by views that check who asks (`dossier.files`).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from portail.lib.validators import validate_date_window, validate_multiline, validate_single_line
from portail.structures.models import Civility


class _NoURLFileSystemStorage(FileSystemStorage):
    """base_url=None alone falls back to settings.MEDIA_URL ("/"): a stored
    file must never get an address, only the views that check who asks."""

    def url(self, name):
        raise ValueError("A private document has no URL: it is served by a view that checks who asks.")


class PrivateStorage(LazyObject):
    """Uploaded files: outside the static files, no public URL."""

    def _setup(self):
        self._wrapped = _NoURLFileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


private_storage = PrivateStorage()


def _private_storage():
    return private_storage


class Guardian(models.Model):
    """A parent (or guardian) of the family, with their contacts (point 1). A
    parent may have an account (`account`); one parent invites the other."""

    family = models.ForeignKey(
        "structures.Family", on_delete=models.CASCADE, related_name="guardians", verbose_name=_("famille")
    )
    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices, blank=True)
    last_name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    first_name = models.CharField(_("prénom"), max_length=100, validators=[validate_single_line])
    email = models.EmailField(_("e-mail"), blank=True)
    mobile_phone = models.CharField(
        _("téléphone portable"), max_length=30, blank=True, validators=[validate_single_line]
    )
    home_phone = models.CharField(_("téléphone fixe"), max_length=30, blank=True, validators=[validate_single_line])
    work_phone = models.CharField(
        _("téléphone professionnel"), max_length=30, blank=True, validators=[validate_single_line]
    )
    address = models.TextField(
        _("adresse"), blank=True, validators=[validate_multiline], help_text=_("Si différente de celle de la famille.")
    )
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="guardianships",
        verbose_name=_("compte"),
    )  # fmt: skip

    class Meta:
        verbose_name = _("parent")
        verbose_name_plural = _("parents")
        ordering = ["family", "id"]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"


class FamilyChange(models.Model):
    """A change the family made to its file, applied at once and shown to
    staff as « modifié par la famille le … » with the previous value (point 1)
    until a staff member marks it as seen."""

    family = models.ForeignKey(
        "structures.Family", on_delete=models.CASCADE, related_name="changes", verbose_name=_("famille")
    )
    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("enfant")
    )
    # What changed, for people: « Téléphone portable de Marie DUPONT ».
    field_label = models.CharField(_("information"), max_length=200)
    # Which field, for code: "guardian.12.mobile_phone", "child.5.school_class", "health.5.allergies".
    field_key = models.CharField(max_length=100, verbose_name=_("champ"))
    old_value = models.TextField(_("ancienne valeur"), blank=True)
    new_value = models.TextField(_("nouvelle valeur"), blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("modifié par")
    )
    changed_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vu par"),
    )
    seen_at = models.DateTimeField(_("vu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("modification par la famille")
        verbose_name_plural = _("modifications par la famille")
        ordering = ["-changed_at"]

    def __str__(self):
        return self.field_label


class Diet(models.TextChoices):
    NONE = "", _("Aucun")
    NO_PORK = "no_pork", _("Sans porc")
    NO_MEAT = "no_meat", _("Sans viande")
    VEGETARIAN = "vegetarian", _("Végétarien")
    OTHER = "other", _("Autre (voir PAI)")


class HealthSheet(models.Model):
    """The child's fiche sanitaire (point 2). The kitchen and the attendance
    sheet only ever see the marks (`has_food_allergy`, `diet`), never the text."""

    child = models.OneToOneField(
        "structures.Child", on_delete=models.CASCADE, related_name="health", verbose_name=_("enfant")
    )
    has_food_allergy = models.BooleanField(_("allergie alimentaire"), default=False)
    allergies = models.TextField(_("allergies"), blank=True, validators=[validate_multiline])
    diet = models.CharField(_("régime alimentaire"), max_length=12, choices=Diet.choices, blank=True)
    has_pai = models.BooleanField(_("PAI (projet d'accueil individualisé)"), default=False)
    pai_document = models.ForeignKey(
        "Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document du PAI"),
    )
    doctor_name = models.CharField(_("médecin traitant"), max_length=200, blank=True, validators=[validate_single_line])
    doctor_phone = models.CharField(
        _("téléphone du médecin"), max_length=30, blank=True, validators=[validate_single_line]
    )
    vaccinations_up_to_date = models.BooleanField(_("vaccinations à jour"), null=True, blank=True)
    vaccinations_date = models.DateField(
        _("date du dernier rappel"), null=True, blank=True, validators=[validate_date_window]
    )
    notes = models.TextField(_("à savoir"), blank=True, validators=[validate_multiline])
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("modifiée par")
    )

    class Meta:
        verbose_name = _("fiche sanitaire")
        verbose_name_plural = _("fiches sanitaires")

    def __str__(self):
        return str(self.child)


class HealthAccess(models.Model):
    """Who on the staff looked at a child's health sheet, and when (point 2)."""

    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, related_name="health_accesses", verbose_name=_("enfant")
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("consultée par"),
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("le"))
    where = models.CharField(max_length=100, verbose_name=_("écran"))  # the page: "fiche sanitaire", "export RGPD"…

    class Meta:
        verbose_name = _("consultation de fiche sanitaire")
        verbose_name_plural = _("consultations de fiches sanitaires")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.child} — {self.at:%d/%m/%Y %H:%M}"


class AuthorisedPerson(models.Model):
    """Someone allowed to collect the child and/or to call in an emergency (point 3)."""

    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, related_name="authorised_people", verbose_name=_("enfant")
    )
    name = models.CharField(_("nom et prénom"), max_length=200, validators=[validate_single_line])
    relationship = models.CharField(_("lien avec l'enfant"), max_length=100, validators=[validate_single_line])
    phone = models.CharField(_("téléphone"), max_length=30, validators=[validate_single_line])
    can_pick_up = models.BooleanField(_("peut venir chercher l'enfant"), default=True)
    emergency_contact = models.BooleanField(_("à appeler en cas d'urgence"), default=False)

    class Meta:
        verbose_name = _("personne autorisée")
        verbose_name_plural = _("personnes autorisées")
        ordering = ["child", "name"]

    def __str__(self):
        return self.name


class DocumentKind(models.TextChoices):
    CAF = "caf", _("Attestation CAF / quotient familial")
    INSURANCE = "insurance", _("Assurance")
    MEDICAL = "medical", _("Certificat médical")
    PAI = "pai", _("PAI")
    ABSENCE = "absence", _("Justificatif d'absence")
    OTHER = "other", _("Autre")


class DocumentType(models.Model):
    """A document a structure asks for (point 4), per family or per child."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="document_types", verbose_name=_("structure")
    )
    name = models.CharField(_("nom"), max_length=100, validators=[validate_single_line])
    kind = models.CharField(_("type"), max_length=10, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    per_child = models.BooleanField(_("un par enfant"), default=False)
    required = models.BooleanField(_("obligatoire"), default=True)
    validity_months = models.PositiveSmallIntegerField(
        _("validité (mois)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Laisser vide si le document n'expire pas."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("document demandé")
        verbose_name_plural = _("documents demandés")
        ordering = ["structure", "name"]
        constraints = [models.UniqueConstraint(fields=["structure", "name"], name="document_type_name_unique")]

    def __str__(self):
        return self.name


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("À vérifier")
    VALIDATED = "validated", _("Validé")
    REFUSED = "refused", _("Refusé")


class Document(models.Model):
    """A file sent by the family (point 4). The stored name is random (never
    the parent's file name, never guessable); served by a view only."""

    family = models.ForeignKey(
        "structures.Family", on_delete=models.CASCADE, related_name="documents", verbose_name=_("famille")
    )
    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("enfant")
    )
    doc_type = models.ForeignKey(
        DocumentType, on_delete=models.PROTECT, null=True, blank=True, related_name="documents",
        verbose_name=_("document"),
    )  # fmt: skip
    file = models.FileField(
        storage=_private_storage, upload_to="documents/%Y/%m/", max_length=200, verbose_name=_("fichier")
    )
    original_name = models.CharField(_("nom du fichier"), max_length=200)
    content_type = models.CharField(
        max_length=50, verbose_name=_("type de fichier")
    )  # checked from the file's bytes: application/pdf, image/jpeg, image/png
    size = models.PositiveIntegerField(verbose_name=_("taille (octets)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("envoyé par")
    )
    uploaded_at = models.DateTimeField(_("envoyé le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    valid_until = models.DateField(_("valable jusqu'au"), null=True, blank=True, validators=[validate_date_window])
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("examiné par"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("examiné le"))
    refusal_reason = models.CharField(
        _("motif du refus"), max_length=200, blank=True, validators=[validate_single_line]
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", _("Maladie")
    OTHER = "other", _("Autre motif")


class AbsenceStatus(models.TextChoices):
    PENDING = "pending", _("À examiner")
    JUSTIFIED = "justified", _("Justifiée")
    NOT_JUSTIFIED = "unjustified", _("Non justifiée")


class Absence(models.Model):
    """An absence declared by a parent for days already booked (point 5).
    Justified by staff: the bookings are cancelled through the engine
    (staff_actions.staff_cancel(..., late=False)): the place goes to the
    waiting list and nothing is billed."""

    family = models.ForeignKey(
        "structures.Family", on_delete=models.CASCADE, related_name="absences", verbose_name=_("famille")
    )
    child = models.ForeignKey(
        "structures.Child", on_delete=models.CASCADE, related_name="absences", verbose_name=_("enfant")
    )
    start_date = models.DateField(_("du"), validators=[validate_date_window])
    end_date = models.DateField(_("au"), validators=[validate_date_window])
    reason = models.CharField(_("motif"), max_length=10, choices=AbsenceReason.choices)
    comment = models.CharField(_("précision"), max_length=500, blank=True, validators=[validate_single_line])
    certificate = models.ForeignKey(
        Document, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("justificatif")
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("déclarée par")
    )
    declared_at = models.DateTimeField(_("déclarée le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=12, choices=AbsenceStatus.choices, default=AbsenceStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("examinée par"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("examinée le"))
    decision_note = models.CharField(_("remarque"), max_length=200, blank=True, validators=[validate_single_line])
    # The bookings it covered when declared (the days the parent said).
    bookings = models.ManyToManyField(
        "booking.Booking", blank=True, related_name="absences", verbose_name=_("réservations")
    )

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-declared_at"]

    def __str__(self):
        return f"{self.child} — {self.start_date:%d/%m/%Y}"


class PurgeLog(models.Model):
    """What the retention purge deleted (point 6), without the data itself."""

    at = models.DateTimeField(default=timezone.now, verbose_name=_("le"))
    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+", verbose_name=_("structure")
    )
    family_reference = models.CharField(max_length=50, verbose_name=_("référence de la famille"))
    what = models.TextField(verbose_name=_("supprimé"))  # « 2 fiches sanitaires, 3 documents »

    class Meta:
        verbose_name = _("purge de données")
        verbose_name_plural = _("purges de données")
        ordering = ["-at"]

    def __str__(self):
        return self.family_reference
