"""« Documents à vérifier » (issue 17 point 4): the documents families sent
in the staff member's structures, waiting for a decision; each one opened
(its file streamed by `document_file`, never from a static path), then
validated (until a date proposed from its type's validity; a CAF attestation
sets the family's quotient familial in the same transaction) or refused with
a reason the family reads. Another structure's document is a 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portail.dossier import documents as service
from portail.dossier.models import Document, DocumentKind, DocumentStatus, DocumentType
from portail.staff.access import page, scoped, staff_required
from portail.staff.changes_views import family_filter
from portail.staff.document_forms import REFUSE, DocumentDecisionForm, DocumentListForm, FileForm, query_string
from portail.staff.forms import read
from portail.structures.scoping import scope_queryset

PAGE_SIZE = 50


def _documents(user):
    return scope_queryset(
        Document.objects.select_related("family__structure", "doc_type", "child", "uploaded_by"), user
    )


@require_GET
@staff_required
def documents(request):
    """The documents waiting for a decision, oldest first (an absence's
    certificate is decided with its absence, on « Absences à examiner »)."""
    params = read(DocumentListForm, request.GET)
    pending = _documents(request.user).filter(status=DocumentStatus.PENDING, doc_type__isnull=False)
    if params["type"]:
        pending = pending.filter(doc_type_id=params["type"])
    if params["famille"]:
        pending = pending.filter(family_filter("family__", params["famille"]))
    types = scope_queryset(DocumentType.objects.select_related("structure"), request.user).order_by("name", "pk")
    return page(
        request,
        "staff/documents/index.html",
        {
            "title": _("Documents à vérifier"),
            "page_obj": Paginator(pending.order_by("uploaded_at", "pk"), PAGE_SIZE).get_page(params["page"]),
            "page_query": query_string(params, ["type", "famille"]),
            "types": types,
            "filters": {"type": params["type"], "famille": params["famille"]},
        },
    )


def _detail(request, document, form=None, error="", status=200):
    today = timezone.localdate()
    proposed = service.proposed_valid_until(document, today)
    return page(
        request,
        "staff/documents/detail.html",
        {
            "title": _("Document « %(name)s »") % {"name": document.doc_type.name if document.doc_type else ""},
            "document": document,
            "is_caf": document.doc_type is not None and document.doc_type.kind == DocumentKind.CAF,
            "proposed": proposed,
            "form": form,
            "error": error,
            "history": _documents(request.user)
            .filter(family=document.family, doc_type=document.doc_type, child=document.child)
            .exclude(pk=document.pk)
            .order_by("-uploaded_at")[:10],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def document(request, pk):
    """One document: its file, its family, and the decision."""
    document = scoped(_documents(request.user), request.user, pk)
    if request.method == "GET":
        return _detail(request, document)
    form = DocumentDecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, document, form, next(iter(form.errors.values()))[0], status=400)
    data = form.cleaned_data
    try:
        if data["decision"] == REFUSE:
            service.refuse_document(document, actor=request.user, reason=data["motif"])
            messages.success(request, _("Document refusé : la famille voit le motif."))
        else:
            service.validate_document(
                document, actor=request.user, valid_until=data["valable_jusqu_au"], quotient=data["quotient"],
                qf_valid_until=data["qf_jusqu_au"],
            )  # fmt: skip
            messages.success(request, _("Document validé."))
    except service.DocumentError as error:
        return _detail(request, document, form, str(error), status=400)
    return redirect("staff:documents")


@require_GET
@staff_required
def document_file(request, pk):
    """The file of a document of the staff member's structures; any other id is
    a 404. « ?voir=1 » shows it in the browser (« Voir »), else it is downloaded
    as before (a PDF as an attachment)."""
    params = read(FileForm, request.GET)
    document = scoped(_documents(request.user), request.user, pk)
    if not document.file:
        raise Http404
    try:
        return service.file_response(document, inline=bool(params["voir"]))
    except FileNotFoundError:
        raise Http404 from None
