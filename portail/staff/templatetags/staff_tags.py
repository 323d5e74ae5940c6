from django import template

from portail.staff.access import is_staff_member

register = template.Library()


@register.filter
def manages_structures(user):
    """Whether the staff screens (/gestion/) are open to this account."""
    return is_staff_member(user)


@register.filter
def hhmm(value):
    return value.strftime("%H:%M") if value else ""
