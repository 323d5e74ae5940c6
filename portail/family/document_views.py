"""« Mes documents » (issue 17 point 4): what the structure asks of the
family, where each stands (manquant, à vérifier, validé jusqu'au…, expire
bientôt, expiré, refusé with staff's reason), sending a file, and opening the
family's own files. A file is reached by its Document id within the family of
the account (portail.web.family.current_family): any other id is a 404."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portail.dossier import documents as service
from portail.dossier.models import Document
from portail.family.document_forms import UploadForm
from portail.family.params import _pk
from portail.web.family import current_family, family_required


def _page(request, family, form=None, error="", status=200):
    requirements = service.family_requirements(family, timezone.localdate())
    files = Document.objects.filter(family=family).select_related("doc_type", "child").order_by("-uploaded_at", "-pk")
    return render(
        request,
        "family/documents/index.html",
        {
            "requirements": requirements,
            "files": files,
            "form": form or UploadForm(),
            "error": error,
            "max_size": service.megabytes(settings.DOCUMENT_MAX_BYTES),
        },
        status=status,
    )


@require_GET
@family_required
def documents(request):
    return _page(request, current_family(request))


@require_POST
@family_required
def upload(request):
    """Send a file for one of the family's requirements; refused (a French
    message, nothing stored) when it is too heavy or not a PDF/JPEG/PNG."""
    family = current_family(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, family, form, next(iter(form.errors.values()))[0], status=400)
    requirements = {r.key: r for r in service.family_requirements(family, timezone.localdate())}
    requirement = requirements.get(form.cleaned_data["document"])
    if requirement is None:
        raise Http404  # another structure's type, another family's child
    try:
        service.store_document(
            family, form.cleaned_data["fichier"], doc_type=requirement.doc_type, child=requirement.child,
            uploaded_by=request.user,
        )  # fmt: skip
    except service.DocumentError as error:
        return _page(request, family, form, str(error), status=400)
    messages.success(
        request, _("« %(name)s » envoyé : la structure va le vérifier.") % {"name": requirement.name}
    )  # fmt: skip
    return redirect("family:documents")


@require_GET
@family_required
def document_file(request, pk):
    """One of the family's files; any other id (another family's, another
    structure's, none) is the same 404."""
    document = Document.objects.filter(pk=_pk(pk), family=current_family(request)).first()
    if document is None or not document.file:
        raise Http404
    try:
        return service.file_response(document)
    except FileNotFoundError:
        raise Http404 from None
