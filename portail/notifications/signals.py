"""What the background worker announces to the apps above it (issues 16 and 17).

`worker_pass` is sent once per pass of `manage.py worker`, after the
processing runs and before the outbox is sent, with `now` (aware). The apps
above notifications (billing: online payments still « en cours » checked again
with their provider; dossier: the retention purge) connect a receiver in their
AppConfig.ready() with a dispatch_uid; the worker never imports them. A
receiver does its own work in its own transactions, decides itself whether it
is due (a daily task keeps its own last-run date), and returns a French line
for the worker's log, or None. It is sent with send_robust: a receiver that
fails is logged and does not stop the others, nor the e-mails.
"""

from django.dispatch import Signal

worker_pass = Signal()
