"""Booking records. The foundation holds the processing run only; bookings,
movements, drafts and the audit trail come with the booking engine."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProcessingRun(models.Model):
    """One run of a structure's processing ("transmission", N1)."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="processing_runs", verbose_name=_("structure")
    )
    started_at = models.DateTimeField(_("démarré le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("traitement")
        verbose_name_plural = _("traitements")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["structure", "-finished_at"], name="run_structure_finished")]

    def __str__(self):
        return f"{self.structure} — {timezone.localtime(self.started_at):%d/%m/%Y %H:%M}"
