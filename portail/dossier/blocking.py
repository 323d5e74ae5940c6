"""A required document missing or expired blocks a family's new bookings
(issue 17 point 4), when its structure asks for it
(Structure.block_bookings_missing_documents). Connected to
booking.signals.family_booking_block in DossierConfig.ready(): the engine asks,
the recap shows the message and « Confirmer » refuses new days (never a
cancellation)."""

from django.utils import timezone

from portail.dossier.documents import blocking_message, missing_required


def missing_documents_block(sender, family, **kwargs):
    """The French message saying which required documents to send, or None.
    None without a query when the structure's option is off (the family comes
    with its structure loaded)."""
    if not family.structure.block_bookings_missing_documents:
        return None
    missing = missing_required(family, timezone.localdate())
    return blocking_message(missing) if missing else None
