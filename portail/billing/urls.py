from django.urls import path

from portail.billing import links, views

app_name = "billing"
urlpatterns = [
    # The notify URL given to the provider names the structure: its backend reads the answer.
    path("notification/<int:structure_id>/", views.notify, name="notify"),
    # The invoice e-mail's link: « Factures » in the invoice's structure (links.py).
    path("factures/<int:structure_id>/", links.open_invoices, name="open_invoices"),
]
