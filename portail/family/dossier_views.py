"""« Mon dossier » (issue 17 point 1): the family keeps its contacts, its
parents' and its children's details up to date; each change is recorded for
staff to check (`portail.dossier.changes`)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from portail.web.family import current_family, family_required


@require_GET
@family_required
def index(request):
    family = current_family(request)
    return render(request, "family/dossier/index.html", {"family": family})
