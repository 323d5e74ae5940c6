"""Backups: a pg_dump of the portal restores into a fresh database that serves
the demo family (scripts/backup-restore-check.sh, documented in docs/deployment.md).

PostgreSQL only: .ci/run runs the suite under scripts/with-postgres.sh. The script
migrates and fills the database it is given, so it gets its own scratch database
next to the test database, created here and dropped at the end."""

import os
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "portail_backup_check"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL, pg_dump and pg_restore (run by .ci/run via scripts/with-postgres.sh)",
    ),
]


def url_with_db(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def admin_connection():
    import psycopg

    params = connection.get_connection_params()  # the test run's server, user and password
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["dbname"] = "postgres"
    return psycopg.connect(**params, autocommit=True)


@pytest.fixture
def scratch_database_url():
    # settings.DATABASES may name the test database; the script needs the server's URL.
    base_url = os.environ.get("DATABASE_URL")
    if not base_url or not base_url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not name a PostgreSQL server")
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SCRATCH_DB}"')
    try:
        yield url_with_db(base_url, SCRATCH_DB)
    finally:
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')


def test_backup_restores_into_a_fresh_database_that_serves_the_demo_family(scratch_database_url):
    # The settings_test variables of this process must not leak into the script's commands.
    test_only = {"DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT",
                 "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # fmt: skip
    environ = {k: v for k, v in os.environ.items() if k not in test_only}
    environ["DATABASE_URL"] = scratch_database_url
    result = subprocess.run(
        ["bash", "scripts/backup-restore-check.sh"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=150,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "row counts equal" in result.stdout, output
    assert "shows 'DUPONT Jean-Paul'" in result.stdout, output
    assert "backup-restore-check: OK" in result.stdout, output
