from django.urls import path

from portail.billing import views

app_name = "billing"
urlpatterns = [
    # The notify URL given to the provider names the structure: its backend reads the answer.
    path("notification/<int:structure_id>/", views.notify, name="notify"),
]
