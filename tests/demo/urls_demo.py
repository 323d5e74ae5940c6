"""The project's URLs as the demo has them (portail/urls.py includes the demo's
pages only when settings.DEMO is on at start-up; the tests' settings are
production ones)."""

from django.urls import include, path

from portail.urls import handler400, handler403, handler404, handler500
from portail.urls import urlpatterns as site

urlpatterns = [path("demo/", include("portail.demo.urls")), *site]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
