"""« Mes données » (issue 17 point 6): everything the portal holds about the
family of the logged-in account, on a page and as files to download (JSON,
a readable HTML page, or all of it with the family's documents in one zip). The family is always the account's own
(current_family); a document's file is reached by its family link, which
checks the owner again."""

from django import forms
from django.http import FileResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from portail.dossier import rgpd
from portail.lib.downloads import ascii_filename, content_disposition
from portail.web.errors import bad_request
from portail.web.family import current_family, family_required

FORMATS = ("json", "html", "zip")


class MyDataForm(forms.Form):
    format = forms.ChoiceField(
        choices=[("", "")] + [(f, f) for f in FORMATS],
        required=False,
        error_messages={"invalid_choice": _("Format inconnu : choisissez JSON, HTML ou ZIP.")},
    )


@require_GET
@family_required
def my_data(request):
    form = MyDataForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form.errors["format"][0])
    family = current_family(request)
    export = form.cleaned_data["format"]
    parts = ["mes-donnees", family.structure.name, f"{timezone.localdate():%Y-%m-%d}"]
    if export == "zip":
        # « Tout télécharger »: the JSON, the readable page and the files (dossier.rgpd).
        return FileResponse(rgpd.export_archive(family), as_attachment=True, filename=ascii_filename(parts, "zip"))

    def document_url(document):
        path = reverse("family:document_file", args=[document.pk])
        # A downloaded page is opened from the disk: its links need the site's address.
        return request.build_absolute_uri(path) if export == "html" else path

    sections = rgpd.family_data(family, document_url=document_url)
    if export == "json":
        response = JsonResponse(
            rgpd.export_json(family, sections), json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
        response["Content-Disposition"] = content_disposition("attachment", parts, "json")
        return response
    context = {
        "family": family,
        "sections": sections,
        "retention_months": family.structure.health_data_retention_months,
        "exported_at": timezone.localtime(),
    }
    if export == "html":
        page = render(request, "family/rgpd/export.html", context)
        page["Content-Disposition"] = content_disposition("attachment", parts, "html")
        return page
    return render(request, "family/rgpd/my_data.html", context)
