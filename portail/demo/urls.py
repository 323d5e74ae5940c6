"""The demo's pages, included by portail/urls.py only when settings.DEMO is on."""

from django.urls import path

from portail.demo import views

app_name = "demo"
urlpatterns = [
    path("courriels/", views.sent_emails, name="emails"),
]
