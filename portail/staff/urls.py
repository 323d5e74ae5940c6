from django.urls import path

from portail.staff import action_views, caf_views, closure_views, message_views, roll_call_views, run_views, views

app_name = "staff"
urlpatterns = [
    path("", views.index, name="index"),
    path("planning/", views.planning, name="planning"),
    path("planning/reserver/", action_views.book, name="book"),
    path("planning/annuler/", action_views.cancel, name="cancel"),
    path("planning/attribuer-place/", action_views.promote, name="promote"),
    path("planning/places/", action_views.capacity, name="capacity"),
    path("planning/fermer/", action_views.close, name="close"),
    path("fermer-journee/", closure_views.close_day, name="close_day"),
    path("fermer-journee/appels/", closure_views.call_list, name="call_list"),
    path("feuille/", views.attendance_sheet, name="sheet"),
    path("repas/", views.meals, name="meals"),
    path("pointage/", roll_call_views.roll_call, name="roll_call"),
    path("pointage/marquer/", roll_call_views.mark, name="mark"),
    path("pointage/tous-presents/", roll_call_views.all_present, name="all_present"),
    path("traitements/", run_views.runs, name="runs"),
    path("traitements/lancer/", run_views.start_run, name="start_run"),
    path("emails/", run_views.emails, name="emails"),
    path("emails/<int:pk>/renvoyer/", run_views.resend_email, name="resend_email"),
    path("messages/", message_views.message_list, name="messages"),
    path("messages/ecrire/", message_views.message_new, name="message_new"),
    path("messages/<int:pk>/", message_views.message_detail, name="message_detail"),
    path("remplissage/", views.fill_rates, name="fill_rates"),
    path("chiffres-caf/", caf_views.caf_figures, name="caf"),
    path("famille/<int:pk>/historique/", views.family_audit, name="family_audit"),
    path("reservation/<int:pk>/historique/", views.booking_audit, name="booking_audit"),
    path("planning/historique/", views.day_audit, name="day_audit"),
]
