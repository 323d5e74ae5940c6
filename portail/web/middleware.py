"""Django's `require_POST`, `require_GET` and class-based views answer a wrong
method with an empty `HttpResponseNotAllowed`: a blank page. This puts the
French 405 page (or, for htmx, its sentence as text) in its place, keeping the
status and the Allow header (issue 12, point 4)."""

from portail.web.errors import method_not_allowed


class MethodNotAllowedPageMiddleware:
    """Listed after django-csp's middleware, so the page it draws still gets every
    security header on the way out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = method_not_allowed(request, response.get("Allow", ""))
        page.cookies.update(response.cookies)
        return page
