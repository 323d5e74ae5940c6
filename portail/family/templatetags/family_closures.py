"""{% closure_notices %}: the home page's notice of the days the structure
closed (issue 18 point 4), for the family being consulted. A tag, so that the
home page's view stays as it is."""

from django import template
from django.utils import timezone

from portail.family.closures import closure_notices as find_notices
from portail.web.family import current_family

register = template.Library()


@register.inclusion_tag("family/_closure_notices.html", takes_context=True)
def closure_notices(context):
    family = current_family(context["request"])
    return {"notices": find_notices(family, timezone.localdate()) if family is not None else []}
