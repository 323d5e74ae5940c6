"""The demo's "Courriels envoyés (démo)" page: the e-mails the demo's worker
sent (to the console), readable in the browser with their links, since the
demo has no mailbox. Only in the demo (settings.DEMO; the URL is not even
included otherwise), for staff, scoped to their structures like every staff
screen."""

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from portail.accounts.models import User
from portail.notifications.models import EmailStatus, OutboxEmail
from portail.staff.access import page, staff_required
from portail.staff.forms import PageForm, read
from portail.structures.scoping import staff_structure_ids

PAGE_SIZE = 50


def visible_emails(user):
    """The outbox e-mails `user` may read: all for the site administrator; for
    staff, those of their structures, and those sent without a structure (a
    password recovery asked by the parent) to an address of an account of one
    of their structures' families."""
    emails = OutboxEmail.objects.select_related("structure")
    ids = staff_structure_ids(user)
    if ids is None:
        return emails
    addresses = (
        User.objects.filter(families__structure__in=ids)
        .exclude(email="")
        .annotate(address=Lower("email"))
        .values("address")
    )
    return emails.annotate(address=Lower("to")).filter(
        Q(structure__in=ids) | Q(structure__isnull=True, address__in=addresses)
    )


@require_GET
@staff_required
def sent_emails(request):
    if not settings.DEMO:
        raise Http404  # never outside the demo, even if the URL were included by mistake
    params = read(PageForm, request.GET)
    emails = visible_emails(request.user)
    sent = emails.filter(status=EmailStatus.SENT).order_by("-sent_at", "-id")
    waiting = emails.filter(status__in=[EmailStatus.PENDING, EmailStatus.SENDING]).count()
    return page(
        request,
        "demo/emails.html",
        {
            "title": _("Courriels envoyés (démo)"),
            "page_obj": Paginator(sent, PAGE_SIZE).get_page(params["page"]),
            "waiting": waiting,
            "page_query": "",
        },
    )
