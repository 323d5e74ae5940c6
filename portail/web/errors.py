"""The one way a view refuses a request with a message (issue 12, point 4).

A full page gets the 400 page in the site's layout with the message, escaped by
the template. An htmx call gets the message as plain text: the page's script puts
it in its live region with textContent, so no markup from a request can ever be
interpreted, whatever it echoes.
"""

from django.http import HttpResponse
from django.shortcuts import render


def bad_request(request, message, *, status=400):
    """A refused request: a French message in the page (or in the htmx live region)."""
    if getattr(request, "htmx", False):
        return HttpResponse(str(message), status=status, content_type="text/plain; charset=utf-8")
    return render(request, "400.html", {"message": message}, status=status)
