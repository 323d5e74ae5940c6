"""A real SMTP server on the loopback for the outbox tests (aiosmtpd), and a
file copy of the test database for tests that need a second process or
concurrent connections."""

import socket
import sqlite3
import urllib.parse

import pytest
from aiosmtpd.controller import Controller
from django.db import connection


class FlakyHandler:
    """Refuses the first `refusals` messages with `code`, then accepts. Every
    accepted message is kept with the client's address (one port per SMTP
    connection)."""

    def __init__(self, refusals=1, code="451 4.3.0 Réessayez plus tard"):
        self.refusals = refusals
        self.code = code
        self.received = []
        self.peers = []

    def refuse(self, envelope):
        if self.refusals > 0:
            self.refusals -= 1
            return self.code
        return None

    async def handle_DATA(self, server, session, envelope):
        refusal = self.refuse(envelope)
        if refusal:
            return refusal
        self.received.append(envelope)
        self.peers.append(session.peer)
        return "250 OK"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """start(**kwargs) or start(handler=…): a server on 127.0.0.1, and the
    settings pointing Django's SMTP backend at it."""
    controllers = []

    def start(handler=None, **kwargs):
        handler = handler or FlakyHandler(**kwargs)
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def shared_db(tmp_path):
    """A database other connections (threads, a subprocess) can reach; yields
    its DATABASE_URL. PostgreSQL: the test database itself. SQLite: the
    default connection is pointed at a file copy of the in-memory test
    database (in-memory SQLite is shared through a cache whose table locks
    fail at once instead of waiting, and no other process can open it).
    Use with @pytest.mark.django_db(transaction=True)."""
    settings_dict = connection.settings_dict
    if connection.vendor != "sqlite":
        quote = urllib.parse.quote
        user = quote(settings_dict["USER"] or "")
        password = f":{quote(settings_dict['PASSWORD'])}" if settings_dict["PASSWORD"] else ""
        yield (
            f"postgres://{user}{password}@{settings_dict['HOST'] or 'localhost'}:{settings_dict['PORT'] or 5432}"
            f"/{quote(settings_dict['NAME'])}"
        )
        return
    in_memory_name = settings_dict["NAME"]
    connection.ensure_connection()
    in_memory = connection.connection  # kept open: closing it would drop the in-memory database
    path = tmp_path / "outbox.sqlite3"
    copy = sqlite3.connect(path)
    in_memory.backup(copy)
    copy.close()
    connection.connection = None
    settings_dict["NAME"] = str(path)
    yield f"sqlite:///{path}"
    connection.close()
    settings_dict["NAME"] = in_memory_name
    connection.connection = in_memory
