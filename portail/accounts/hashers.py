"""Password hashing: Argon2id with OWASP's recommended parameters.

Django's own Argon2 parameters (100 MiB, 2 passes, 8 lanes) cost about 0.35 s
of CPU per login on the two-core machines the portal runs on: about six
logins per second for the whole server, on the evening registrations open
when a couple of thousand parents log in within minutes (bench/rush.py
measures it). OWASP's password storage cheat sheet gives equivalent
configurations of Argon2id; its first one, 19 MiB, 2 passes, 1 lane, costs
about 0.04 s. Hashes made with other parameters are still accepted and are
re-hashed with these at the next successful login (Django's must_update).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortailArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
