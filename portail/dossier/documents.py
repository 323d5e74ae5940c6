"""Documents of the family file (issue 17 point 4): what a structure requires,
the files a family sends, and staff's decision on them.

A file is judged by its bytes, never by its name nor by the browser's
Content-Type: a PDF starts with ``%PDF-`` (and ends with ``%%EOF``), a JPEG
with FF D8 FF, a PNG with its 8-byte signature; anything else is refused,
HTML or SVG renamed ``.pdf`` first. It is stored under a random name through
Document.file's storage (settings.PRIVATE_MEDIA_ROOT, no public URL) and
served only by `file_response`, called by views that checked who asks.
"""

import calendar
import datetime
import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portail.dossier.models import Document, DocumentKind, DocumentStatus, DocumentType
from portail.lib.downloads import ascii_filename
from portail.lib.validators import LAST_DATE
from portail.structures.models import Child

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Markup a browser would render: a "PDF" holding it is a disguised page.
HTML_MARKERS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<body", b"<iframe", b"<?xml", b"<head")
EXPIRING_DAYS = 30

NOT_A_DOCUMENT = gettext_lazy("Ce fichier n'est ni un PDF ni une image JPEG ou PNG.")
EMPTY_FILE = gettext_lazy("Le fichier est vide.")
ALREADY_DECIDED = gettext_lazy("Ce document a déjà été examiné.")
REASON_REQUIRED = gettext_lazy("Indiquez le motif du refus : la famille le lira.")
QF_REQUIRED = gettext_lazy("Attestation CAF : indiquez le quotient familial et sa date de fin de validité.")
DATE_PAST = gettext_lazy("Cette date de validité est déjà passée : vérifiez-la.")


class DocumentError(ValueError):
    """A file or a decision refused, with the French message to show."""


# ------------------------------------------------------------------ the file itself


def megabytes(size: int) -> str:
    """12,3 Mo; a whole number without decimals (5 Mo)."""
    value = size / (1024 * 1024)
    text = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    return text.replace(".", ",")


def sniff(data: bytes) -> str | None:
    """The content type of `data` read from its bytes, or None when it is none
    of the three accepted types."""
    head = data[:4096].lower()
    if data.startswith(b"%PDF-"):
        # A PDF viewer reads the end of the file; a page renamed .pdf has no
        # %%EOF and carries markup a browser would run if it sniffed it.
        if b"%%EOF" not in data[-2048:] or any(marker in head for marker in HTML_MARKERS):
            return None
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG if _is_image(data, "JPEG") else None
    if data.startswith(PNG_SIGNATURE):
        return PNG if _is_image(data, "PNG") else None
    return None


def _is_image(data: bytes, expected: str) -> bool:
    """Pillow (reportlab's dependency) reads the image's structure: a few magic
    bytes in front of something else are not an image."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != expected:
                return False
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    return True


def read_upload(upload) -> tuple[bytes, str]:
    """The bytes and checked content type of an uploaded file, or DocumentError
    (too heavy, empty, not a PDF/JPEG/PNG)."""
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise DocumentError(
            _("Fichier trop lourd (%(size)s Mo) : %(limit)s Mo au plus.")
            % {"size": megabytes(upload.size), "limit": megabytes(limit)}
        )
    data = b"".join(upload.chunks())
    if not data:
        raise DocumentError(EMPTY_FILE)
    if len(data) > limit:  # the announced size lied
        raise DocumentError(
            _("Fichier trop lourd (%(size)s Mo) : %(limit)s Mo au plus.")
            % {"size": megabytes(len(data)), "limit": megabytes(limit)}
        )
    content_type = sniff(data)
    if content_type is None:
        raise DocumentError(NOT_A_DOCUMENT)
    return data, content_type


def _original_name(name: str | None) -> str:
    """The parent's file name, for people only: no folder, no control character."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or _("document")


def store_document(
    family, upload, *, doc_type: DocumentType | None, child=None, uploaded_by, now: datetime.datetime | None = None
) -> Document:
    """Check `upload` (size, real type) and store it as a pending Document of
    `family` under a random name. DocumentError, nothing stored, when refused."""
    data, content_type = read_upload(upload)
    stored_name = f"{secrets.token_hex(16)}.{EXTENSIONS[content_type]}"
    document = Document(
        family=family,
        child=child,
        doc_type=doc_type,
        original_name=_original_name(getattr(upload, "name", "")),
        content_type=content_type,
        size=len(data),
        uploaded_by=uploaded_by,
        uploaded_at=now or timezone.now(),
    )
    document.file.save(stored_name, ContentFile(data), save=False)
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)  # no orphan file when the row is not written
        raise
    return document


def file_response(document: Document, *, inline: bool = False) -> FileResponse:
    """The file, streamed with the type checked at upload (never the stored
    name's, never sniffed), an ASCII name, and a sandbox: even a file that
    fooled the checks cannot run script in the portal's origin. A PDF is an
    attachment (Chrome's viewer does not open in a sandbox), an image inline;
    `inline` shows a PDF in the browser too (staff's « Voir », in a new tab),
    without the sandbox that would stop Chrome's viewer."""
    content_type = document.content_type if document.content_type in EXTENSIONS else "application/octet-stream"
    extension = EXTENSIONS.get(content_type, "bin")
    stem = os.path.splitext(document.original_name)[0]
    response = FileResponse(
        document.file.open("rb"),
        content_type=content_type,
        as_attachment=content_type == PDF and not inline,
        filename=ascii_filename([stem], extension, fallback="document"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    if content_type == PDF and inline:
        # Chrome's PDF viewer does not open in a sandboxed document, nor under
        # a policy that forbids its synthetic page's styles: the staff's « Voir »
        # of a PDF goes without a policy. Its first bytes were checked to be a
        # PDF's and it is served as application/pdf with nosniff, so no
        # browser reads it as HTML; the viewer's scripts never get our origin.
        setattr(response, "_csp_exempt", True)  # noqa: B010 (django-csp reads it: it adds nothing either)
    else:
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# ------------------------------------------------------------------ what the family owes

MISSING = "missing"
PENDING = "pending"
VALID = "valid"
EXPIRING = "expiring"
EXPIRED = "expired"
REFUSED = "refused"
# What blocks new bookings when the structure asks for it (pending does not:
# the family did its part, staff have not looked yet).
BLOCKING_STATES = frozenset({MISSING, EXPIRED, REFUSED})


@dataclass
class Requirement:
    """One document the structure asks of the family (or of one child) and
    where the family stands: `state` is one of the names above, `document`
    the one that decides it (None when missing)."""

    doc_type: DocumentType
    child: Child | None
    state: str
    document: Document | None
    pending: Document | None

    @property
    def name(self) -> str:
        if self.child is None:
            return self.doc_type.name
        return f"{self.doc_type.name} ({self.child.first_name})"

    @property
    def key(self) -> str:
        """The form's value naming this requirement: "<type>" or "<type>-<child>"."""
        return f"{self.doc_type.pk}" if self.child is None else f"{self.doc_type.pk}-{self.child.pk}"


def requirement_state(documents: list[Document], today: datetime.date) -> tuple[str, Document | None, Document | None]:
    """Where one requirement stands, from its documents (newest first).

    Precedence: a validated document still valid (« expire bientôt » within
    30 days of its end), else one waiting for staff, else the expired one, else
    the newest refusal, else missing."""
    pending = next((d for d in documents if d.status == DocumentStatus.PENDING), None)
    validated = [d for d in documents if d.status == DocumentStatus.VALIDATED]
    current = [d for d in validated if d.valid_until is None or d.valid_until >= today]
    if current:
        best = max(current, key=lambda d: d.valid_until or LAST_DATE)
        if best.valid_until is not None and best.valid_until <= today + datetime.timedelta(days=EXPIRING_DAYS):
            return (PENDING if pending else EXPIRING), best, pending
        return VALID, best, pending
    if pending is not None:
        return PENDING, pending, pending
    if validated:
        return EXPIRED, max(validated, key=lambda d: d.valid_until or LAST_DATE), None
    refused = next((d for d in documents if d.status == DocumentStatus.REFUSED), None)
    if refused is not None:
        return REFUSED, refused, None
    return MISSING, None, None


def family_requirements(family, today: datetime.date, *, required_only: bool = False) -> list[Requirement]:
    """Every document the family's structure asks for (per family, or per
    child for each child), with its state. Three queries, whatever the
    number of types, children and documents."""
    asked = DocumentType.objects.filter(structure_id=family.structure_id).exclude(kind=DocumentKind.ABSENCE)
    if required_only:
        asked = asked.filter(required=True)
    types = list(asked.order_by("name", "pk"))
    if not types:
        return []
    children = list(family.children.order_by("first_name", "pk")) if any(t.per_child for t in types) else []
    by_key: dict[tuple[int | None, int | None], list[Document]] = {}
    for sent in Document.objects.filter(family=family, doc_type__in=types).order_by("-uploaded_at", "-pk"):
        by_key.setdefault((sent.doc_type_id, sent.child_id), []).append(sent)
    requirements = []
    for doc_type in types:
        who: list[Child | None] = [*children] if doc_type.per_child else [None]
        for child in who:
            documents = by_key.get((doc_type.pk, child.pk if child else None), [])
            state, document, pending = requirement_state(documents, today)
            requirements.append(Requirement(doc_type, child, state, document, pending))
    return requirements


def missing_required(family, today: datetime.date) -> list[Requirement]:
    """The required documents missing, expired or refused (what blocks bookings)."""
    return [r for r in family_requirements(family, today, required_only=True) if r.state in BLOCKING_STATES]


def blocking_message(requirements: list[Requirement]) -> str:
    names = ", ".join(r.name for r in requirements)
    return ngettext(
        "Document obligatoire manquant ou expiré : %(names)s. Envoyez-le depuis « Mes documents » pour réserver.",
        "Documents obligatoires manquants ou expirés : %(names)s. Envoyez-les depuis « Mes documents » pour réserver.",
        len(requirements),
    ) % {"names": names}


# ------------------------------------------------------------------ staff's decision


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` months, on the month's last day when shorter (31/01 + 1 -> 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def proposed_valid_until(document: Document, today: datetime.date) -> datetime.date | None:
    """The end of validity staff are offered: today + the type's validity (None: no end)."""
    months = document.doc_type.validity_months if document.doc_type else None
    if not months:
        return None
    return min(add_months(today, months), LAST_DATE)


def _locked_pending(document: Document) -> Document:
    # Not the type's row: on PostgreSQL FOR UPDATE cannot lock the nullable side of an outer join.
    locked = (
        Document.objects.select_for_update(of=("self", "family"))
        .select_related("doc_type", "family")
        .get(pk=document.pk)
    )
    if locked.status != DocumentStatus.PENDING:
        raise DocumentError(ALREADY_DECIDED)
    return locked


def validate_document(
    document: Document,
    *,
    actor,
    valid_until: datetime.date | None,
    quotient: int | None = None,
    qf_valid_until: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> Document:
    """Staff validate a pending document until `valid_until` (None: no end).
    A CAF attestation sets the family's quotient familial and its end date in
    the same transaction (both required). DocumentError when already decided."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # A date already past is a typing slip (the document would be expired at once).
    if (valid_until is not None and valid_until < today) or (qf_valid_until is not None and qf_valid_until < today):
        raise DocumentError(DATE_PAST)
    with transaction.atomic():
        document = _locked_pending(document)
        is_caf = document.doc_type is not None and document.doc_type.kind == DocumentKind.CAF
        if is_caf:
            if quotient is None or qf_valid_until is None:
                raise DocumentError(QF_REQUIRED)
            family = document.family
            family.quotient_familial = quotient
            family.qf_valid_until = qf_valid_until
            family.save(update_fields=["quotient_familial", "qf_valid_until"])
        document.status = DocumentStatus.VALIDATED
        document.valid_until = valid_until
        document.refusal_reason = ""
        document.decided_by = actor
        document.decided_at = now
        document.save(update_fields=["status", "valid_until", "refusal_reason", "decided_by", "decided_at"])
    return document


def refuse_document(document: Document, *, actor, reason: str, now: datetime.datetime | None = None) -> Document:
    """Staff refuse a pending document; the family reads `reason` (required)."""
    reason = (reason or "").strip()
    if not reason:
        raise DocumentError(REASON_REQUIRED)
    with transaction.atomic():
        document = _locked_pending(document)
        document.status = DocumentStatus.REFUSED
        document.refusal_reason = reason[:200]
        document.decided_by = actor
        document.decided_at = now or timezone.now()
        document.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    return document
