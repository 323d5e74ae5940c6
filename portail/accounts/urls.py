from django.urls import path

from portail.accounts import coparent_views, language, views

app_name = "accounts"
urlpatterns = [
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("profil/", views.profile, name="profile"),
    path("inviter-un-parent/", coparent_views.invite_parent, name="invite_parent"),
    path("langue/", language.set_language, name="language"),
    path("profil/mot-de-passe/", views.profile_password, name="profile_password"),
    path("profil/adresse-e-mail/", views.profile_email, name="profile_email"),
    path("profil/question-secrete/", views.profile_question, name="profile_question"),
    path("mot-de-passe-oublie/", views.recovery, name="recovery"),
    path("mot-de-passe-oublie/question/", views.recovery_question, name="recovery_question"),
    path("mot-de-passe-oublie/e-mail/", views.recovery_email, name="recovery_email"),
    path("mot-de-passe-oublie/e-mail/envoye/", views.recovery_email_sent, name="recovery_email_sent"),
    path("mot-de-passe-oublie/lien/<str:uidb64>/<str:token>/", views.recovery_link, name="recovery_link"),
    path("mot-de-passe-oublie/nouveau/", views.recovery_password, name="recovery_password"),
]
