"""What billing announces to the apps above it (issue 16): the e-mail of a new
invoice (billing.emails) listens here instead of the invoicing importing it."""

from django.dispatch import Signal

# sender=Invoice, invoices=[Invoice, ...]: sent inside the issuing transaction,
# so a receiver's writes (the outbox) commit or roll back with the invoices.
invoices_issued = Signal()

# sender=Invoice, credit_note=Invoice: sent inside the transaction that issues it.
credit_note_issued = Signal()
