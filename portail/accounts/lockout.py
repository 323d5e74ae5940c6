"""Login throttling: django-axes with two limits instead of one.

- Per identifiant and address (AXES_FAILURE_LIMIT, 5): axes' own lock of the
  (username, ip_address) pair, set by AXES_LOCKOUT_PARAMETERS. Neither the
  identifiant alone (anyone could lock a parent out on registration night) nor
  the address alone at that level (a whole town-hall network would be locked).
- Per address, across identifiants (AXES_IP_FAILURE_LIMIT, 20): one address
  spraying a few passwords over many identifiants never reaches the first limit
  on any of them; this one stops it. Higher than the first, so parents who
  share an address (a town hall's or a school's network, a mobile operator's
  shared address) and each mistype a few times are not locked together.

axes compares one failure count with one limit (the largest count over its
lockout parameter sets), so two sets with two limits cannot be expressed in its
settings. This handler keeps axes' count of the pair and, when the address has
reached its own limit, reports the pair as at its limit: both the check before
authenticating (`is_locked`) and the one after a failure (`user_login_failed`)
go through `get_failures`, so the lockout page, the 429 status, the cool-off
and the reset on success all stay axes' own.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def address_failures(request):
    """Failed logins from the request's address within the cool-off, all identifiants."""
    attempts = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    )
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class AddressLimitHandler(AxesDatabaseHandler):
    """axes' database handler, plus the per-address limit (AXES_IP_FAILURE_LIMIT; 0: none)."""

    def get_failures(self, request, credentials=None):
        failures = super().get_failures(request, credentials)
        limit = settings.AXES_IP_FAILURE_LIMIT
        if limit and address_failures(request) >= limit:
            # Read by registration/lockout.html to say why (the address, not the identifiant).
            request.axes_locked_by_address = True
            return max(failures, get_failure_limit(request, credentials))
        return failures
