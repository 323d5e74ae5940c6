from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portail.accounts.forms import LoginForm
from portail.web.manifest import manifest

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("manifest.webmanifest", manifest, name="manifest"),
    path("compte/", include("portail.accounts.urls")),
    path("gestion/", include("portail.staff.urls")),
    path("admin/", admin.site.urls),
    # The payment providers' server-to-server notifications (issue 16 point 4).
    path("paiement/", include("portail.billing.urls")),
    path("", include("portail.family.urls")),
]
if settings.DEMO:
    # The demo's "Courriels envoyés (démo)" page: only in the demo (settings.DEMO), never in production.
    urlpatterns.insert(-1, path("demo/", include("portail.demo.urls")))
if settings.SIMULATED_BANK:
    # The simulated bank of the demo and the tests: never in production (settings.SIMULATED_BANK).
    urlpatterns.insert(-1, path("banque-simulee/", include("portail.simbank.urls")))

# French error pages in the site's layout (issue 12 point 4); the 500 page is bare.
handler400 = "portail.web.errors.handler400"
handler403 = "portail.web.errors.handler403"
handler404 = "portail.web.errors.handler404"
handler500 = "portail.web.errors.handler500"
