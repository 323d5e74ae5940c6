from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portail.accounts.forms import LoginForm

urlpatterns = [
    path(
        "connexion/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("compte/", include("portail.accounts.urls")),
    path("gestion/", include("portail.staff.urls")),
    path("admin/", admin.site.urls),
    path("", include("portail.family.urls")),
]
