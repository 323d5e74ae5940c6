from django.urls import path

from portail.family import booking_views, dossier_views, history_views, reservation_views, views

app_name = "family"
urlpatterns = [
    path("", views.home, name="home"),
    path("structure/", views.switch_structure, name="switch_structure"),
    path("reserver/", booking_views.reserve, name="reserve"),
    path("reserver/jour/", booking_views.toggle_day, name="toggle_day"),
    path("reserver/ensemble/", booking_views.toggle_set, name="toggle_set"),
    path("reserver/journee/", booking_views.day_panel, name="day_panel"),
    path("reserver/ouverture/", booking_views.opening, name="opening"),
    path("reserver/recopier/", booking_views.copy, name="copy"),
    path("reserver/abandonner/", booking_views.discard, name="discard"),
    path("reserver/recapitulatif/", booking_views.recap, name="recap"),
    path("reserver/confirmer/", booking_views.confirm, name="confirm"),
    path("reserver/resultat/<int:pk>/", booking_views.result, name="result"),
    path("mes-reservations/", reservation_views.reservations, name="reservations"),
    path("mes-reservations/annuler/", reservation_views.cancel, name="cancel"),
    path("historiques/", history_views.history_page, name="history"),
    path("mon-dossier/", dossier_views.index, name="dossier"),
]
