from django.urls import path

from portail.family import (
    absence_views,
    booking_views,
    document_views,
    dossier_views,
    health_views,
    history_views,
    reservation_views,
    views,
)

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
    path("mes-documents/", document_views.documents, name="documents"),
    path("mes-documents/envoyer/", document_views.upload, name="document_upload"),
    path("mes-documents/<int:pk>/", document_views.document_file, name="document_file"),
    path("absences/", absence_views.absences, name="absences"),
    path("absences/declarer/", absence_views.declare, name="absence_declare"),
    path("mon-dossier/coordonnees/", dossier_views.household, name="dossier_household"),
    path("mon-dossier/parents/ajouter/", dossier_views.guardian_new, name="dossier_guardian_new"),
    path("mon-dossier/parents/<int:pk>/", dossier_views.guardian, name="dossier_guardian"),
    path("mon-dossier/enfants/<int:pk>/", dossier_views.child, name="dossier_child"),
    path("mon-dossier/enfants/<int:pk>/sante/", health_views.health, name="health"),
    path("mon-dossier/enfants/<int:pk>/personnes/", health_views.authorised_people, name="authorised_people"),
    path(
        "mon-dossier/enfants/<int:pk>/personnes/<int:person>/",
        health_views.authorised_person_edit,
        name="authorised_person_edit",
    ),
    path(
        "mon-dossier/enfants/<int:pk>/personnes/<int:person>/retirer/",
        health_views.authorised_person_delete,
        name="authorised_person_delete",
    ),
]
