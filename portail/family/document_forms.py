"""The parameters of « Mes documents » (issue 17 point 4), one Form per endpoint."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

# "<type id>" or "<type id>-<child id>": Requirement.key.
REQUIREMENT_KEY = re.compile(r"\A[1-9]\d{0,18}(-[1-9]\d{0,18})?\Z", re.ASCII)


class UploadForm(forms.Form):
    """Which requirement the file answers (checked against the family's own
    requirements by the view: another one is a 404), and the file."""

    document = forms.RegexField(
        REQUIREMENT_KEY, max_length=40, label=_("Document"),
        error_messages={"required": _("Choisissez le document que vous envoyez."),
                        "invalid": _("Choisissez le document que vous envoyez.")},
    )  # fmt: skip
    fichier = forms.FileField(
        label=_("Fichier (PDF, JPEG ou PNG)"), allow_empty_file=False,
        error_messages={"required": _("Choisissez le fichier à envoyer."),
                        "empty": _("Le fichier est vide."),
                        "invalid": _("Choisissez le fichier à envoyer."),
                        "missing": _("Choisissez le fichier à envoyer.")},
    )  # fmt: skip
