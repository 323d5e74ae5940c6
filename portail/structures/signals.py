"""What a family's life announces to the apps that hold its data.

The family file (dossier) anonymises a family that has left (issue 17 point
6); the apps beside it that hold money or other obligations towards that
family (billing) must be able to say « not yet » without the family file
importing them (siblings never import each other, tests/test_layering.py).
"""

from django.dispatch import Signal

# May `family` be anonymised now? Sent with sender=Family and `family`; a
# receiver returns a list of French reasons for the staff member (empty: no
# objection). Sent before anything is changed, with the family's row locked
# when the anonymisation itself asks (dossier.rgpd.anonymise_family).
family_anonymisation_obstacles = Signal()

# What staff should know before anonymising `family`, without it being a
# reason to refuse (e.g. a credit the town may still have to refund): same
# arguments, a list of French sentences, shown above the confirmation.
family_anonymisation_warnings = Signal()
