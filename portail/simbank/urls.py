from django.urls import path

from portail.simbank import views

app_name = "simbank"
urlpatterns = [
    path("payer/", views.pay, name="pay"),
    path("etat/", views.status, name="status"),
]
