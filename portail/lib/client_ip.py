"""The client's address, for login and recovery throttling.

Behind nginx every request comes from 127.0.0.1: throttling by address would
then lock nothing per client. With BEHIND_PROXY=1 (the reverse proxy sets and
overwrites X-Real-IP, see deploy/portail.conf) that header is trusted;
otherwise it is ignored, since a client could forge it.
"""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR")
