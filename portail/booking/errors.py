class BookingError(Exception):
    """A demande the rules refuse; the message is French and shown as is."""
