"""The refusal of a billing service, with its French message for staff."""


class BillingError(Exception):
    """A billing action refused: str(error) is a French sentence shown as is."""
