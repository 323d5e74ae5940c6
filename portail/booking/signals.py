"""What the booking engine announces to the apps above it (pretix's
`base/signals.py` does the same): the engine never imports who listens, and
the listeners (the notifications app, connected in its `ready()` with a
`dispatch_uid`, so a second `ready()` connects nothing twice) never reach into
the engine's modules.

Every signal is sent synchronously, INSIDE the transaction that made the
change (Django signals are plain function calls): a receiver that writes rows
— the notifications app queues e-mails in its outbox — commits with the
change or rolls back with it. So a family is never told about a place or a
closure that did not happen, and never left untold about one that did (N3,
N4). A receiver that raises rolls the change back: receivers only write rows,
they never talk to the network (the outbox worker sends the e-mails).
"""

from django.dispatch import Signal

# A waitlisted booking got a place: freed by a cancellation or more places
# (waiting_list.promote_waiting_list, N3), or given by staff
# (staff_actions.staff_promote). Sent with sender=Movement and
# `movement`: the PROMOTION Movement, whose booking is now accepted.
# Sent inside the transaction that accepted the booking.
place_given = Signal()

# The structure closed an activity on a day (staff_actions.close_day): its
# bookings and waiting-list places were cancelled. Sent with sender=Opening,
# `opening`, `cancelled` (the bookings just cancelled, with child__family
# and activity loaded) and `reason` (the staff's reason, told to the
# families). Sent inside the transaction that cancelled them.
day_closed = Signal()

# A structure's processing run finished ("transmission", N1): its movements
# are stamped and its FamilyReport rows written. Sent with
# sender=ProcessingRun and `run`, right after the run's final transaction
# committed (the run's reports are rows already; a receiver that crashes
# leaves them for the next run to catch up, see notifications.reports).
run_finished = Signal()

# Staff lowered a day's places below the children booked and chose who goes
# to the waiting list (staff_actions.change_places, issue 18 point 3). Sent
# with sender=Opening, `opening`, `moved` (the bookings now waitlisted, with
# child__family and activity loaded, and `.position` in the queue) and
# `reason`. Sent inside the transaction that moved them.
moved_to_waiting_list = Signal()

# Several activities were closed on a day in one action (a strike:
# staff_actions.close_days). Sent ONCE for all of them, instead of one
# day_closed per activity, so that each family hears once: sender=Opening,
# `openings`, `cancelled` (every booking just cancelled, with child__family
# and activity loaded) and `reason`. Sent inside the transaction that
# cancelled them.
days_closed = Signal()

# Asked before a family's new bookings are recorded (confirm, and shown on the
# recap): may this family book new days now? Sent with sender=Family and
# `family` (its structure loaded). A receiver answers a French message saying
# why not and what to do (an invoice overdue: billing, issue 16 point 5; a
# required document missing or expired: dossier, issue 17 point 4), or None.
# Receivers read only; they answer None quickly when their structure's option
# is off (Structure.block_bookings_*), without a query. Cancellations are never
# blocked. Use booking.guards.booking_block() rather than sending it yourself.
family_booking_block = Signal()
