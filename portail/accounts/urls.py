from django.urls import path

from portail.accounts import views

app_name = "accounts"
urlpatterns = [
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("mot-de-passe-oublie/", views.recovery_placeholder, name="recovery"),
]
