from django.urls import path

from portail.family import views

app_name = "family"
urlpatterns = [
    path("", views.home, name="home"),
    path("structure/", views.switch_structure, name="switch_structure"),
]
