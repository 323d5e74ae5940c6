#!/usr/bin/env bash
# Backup/restore check: proves that a pg_dump of the portal can be restored
# into an empty database and served from it.
#
#   scripts/with-postgres.sh bash scripts/backup-restore-check.sh
#   DATABASE_URL=postgres://user@host:5432/scratch scripts/backup-restore-check.sh
#
# Steps, against DATABASE_URL (a THROWAWAY PostgreSQL database: it is migrated and
# filled with the demo data; created if missing):
#   1. migrate, load_demo, plus a few bookings so that table is not empty;
#   2. pg_dump -Fc (custom format, as in docs/deployment.md);
#   3. create a fresh database, pg_restore into it (--no-owner --no-acl, one transaction);
#   4. compare the row count of every table, original vs restored;
#   5. start gunicorn on a free loopback port against the RESTORED database and log in
#      as the demo family "dupont" through /connexion/ (CSRF token, redirect to the home
#      page), which must show "DUPONT Jean-Paul".
# Exits non-zero on any failure. The server and the restored database are always removed.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-.venv/bin/python}
GUNICORN=${GUNICORN:-.venv/bin/gunicorn}
: "${DATABASE_URL:?DATABASE_URL must point to a throwaway PostgreSQL database}"
case "$DATABASE_URL" in
  postgres://* | postgresql://* | pgsql://*) ;;
  *) echo "backup-restore-check: DATABASE_URL is not PostgreSQL" >&2; exit 2 ;;
esac

# The client binaries must not be older than the server: take the newest installed
# server's bin directory (the one scripts/with-postgres.sh runs), else PATH.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -n "$bindir" ] && [ -x "$bindir/pg_dump" ]; then
  PG_DUMP=$bindir/pg_dump PG_RESTORE=$bindir/pg_restore PSQL=$bindir/psql
else
  PG_DUMP=$(command -v pg_dump) PG_RESTORE=$(command -v pg_restore) PSQL=$(command -v psql)
fi

# URL helpers (libpq understands postgres:// URIs; only the database name changes).
url_with_db() {
  "$PY" - "$1" "$2" <<'EOF'
import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
scheme = "postgresql" if p.scheme in ("postgres", "postgresql", "pgsql") else p.scheme
print(u.urlunsplit((scheme, p.netloc, "/" + sys.argv[2], p.query, "")))
EOF
}
db_name() { "$PY" -c 'import sys, urllib.parse as u; print(u.unquote(u.urlsplit(sys.argv[1]).path.lstrip("/")))' "$1"; }

src_db=$(db_name "$DATABASE_URL")
src_url=$(url_with_db "$DATABASE_URL" "$src_db")
maint_url=$(url_with_db "$DATABASE_URL" postgres)
restored_db="${src_db}_restored_$$"
restored_url=$(url_with_db "$DATABASE_URL" "$restored_db")

work=$(mktemp -d /tmp/portail-backup-check.XXXXXX)
server_pid=""
restored_created=""
started=$SECONDS

cleanup() {
  local rc=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$restored_created" ]; then
    "$PSQL" -X -q -d "$maint_url" -c "DROP DATABASE IF EXISTS \"$restored_db\" WITH (FORCE)" >/dev/null 2>&1 \
      || echo "backup-restore-check: could not drop $restored_db" >&2
  fi
  if [ "$rc" -ne 0 ] && [ -s "$work/server.log" ]; then
    echo "--- server log ---" >&2; tail -n 40 "$work/server.log" >&2
  fi
  rm -rf "$work"
  if [ "$rc" -eq 0 ]; then echo "backup-restore-check: OK ($((SECONDS - started)) s)"
  else echo "backup-restore-check: FAILED (exit $rc)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { echo "[$((SECONDS - started))s] $*"; }
psql_maint() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$maint_url" "$@"; }

exists=$(psql_maint -At -c "SELECT 1 FROM pg_database WHERE datname = '$src_db'")
if [ "$exists" != "1" ]; then
  step "creating the source database $src_db"
  psql_maint -c "CREATE DATABASE \"$src_db\""
fi

# Management commands run with the development settings (the demo's), like `make demo`.
manage() { DJANGO_DEBUG=1 DATABASE_URL="$1" "$PY" manage.py "${@:2}"; }

step "migrate + load_demo on $src_db"
manage "$src_url" migrate --noinput >/dev/null
manage "$src_url" load_demo >/dev/null
manage "$src_url" shell --no-imports -c '
from portail.booking.models import Booking
from portail.structures.models import Enrolment, Opening
for e in Enrolment.objects.select_related("child", "activity").order_by("pk")[:6]:
    for o in Opening.objects.filter(activity=e.activity).order_by("date")[:5]:
        Booking.objects.get_or_create(child=e.child, activity=e.activity, date=o.date, status="accepted")
'

# Row counts of every table of the database (Django's and any other), plus the two
# the brief names, as one line of text to compare.
count_rows() {
  manage "$1" shell --no-imports -c '
from django.db import connection
from portail.booking.models import Booking
from portail.structures.models import Family
with connection.cursor() as cursor:
    tables = sorted(connection.introspection.table_names(cursor))
    counts = []
    for table in tables:
        cursor.execute("SELECT count(*) FROM " + connection.ops.quote_name(table))
        counts.append(f"{table}={cursor.fetchone()[0]}")
print(f"families={Family.objects.count()} bookings={Booking.objects.count()} tables={len(tables)}")
print(" ".join(counts))
'
}
count_rows "$src_url" >"$work/counts.original"
step "original: $(head -n 1 "$work/counts.original")"

step "pg_dump -Fc ($("$PG_DUMP" --version))"
"$PG_DUMP" --format=custom --file="$work/portail.dump" --dbname="$src_url"
step "dump: $(du -h "$work/portail.dump" | cut -f1)"

step "create $restored_db and pg_restore into it"
psql_maint -c "CREATE DATABASE \"$restored_db\""
restored_created=1
"$PG_RESTORE" --no-owner --no-acl --exit-on-error --single-transaction --dbname="$restored_url" "$work/portail.dump"

count_rows "$restored_url" >"$work/counts.restored"
step "restored: $(head -n 1 "$work/counts.restored")"
if ! cmp -s "$work/counts.original" "$work/counts.restored"; then
  echo "backup-restore-check: row counts differ" >&2
  diff <(tr ' ' '\n' <"$work/counts.original") <(tr ' ' '\n' <"$work/counts.restored") >&2 || true
  exit 1
fi
read -r families bookings < <(sed -n '1s/families=\([0-9]*\) bookings=\([0-9]*\).*/\1 \2/p' "$work/counts.original")
if [ "${families:-0}" -eq 0 ] || [ "${bookings:-0}" -eq 0 ]; then
  echo "backup-restore-check: no families or bookings to compare" >&2
  exit 1
fi

port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "gunicorn on 127.0.0.1:$port against $restored_db"
DJANGO_DEBUG=1 DATABASE_URL="$restored_url" ALLOWED_HOSTS=127.0.0.1 \
  "$GUNICORN" portail.wsgi:application --bind "127.0.0.1:$port" --workers 1 --timeout 60 --no-control-socket \
  >"$work/server.log" 2>&1 &
server_pid=$!

"$PY" - "http://127.0.0.1:$port" "$server_pid" <<'EOF'
import http.cookiejar, os, re, sys, time, urllib.error, urllib.parse, urllib.request

# The password is read from the source (importing it would need Django's settings).
with open("portail/demo/data.py", encoding="utf-8") as demo:
    DEMO_PASSWORD = re.search(r'^DEMO_PASSWORD = "([^"]+)"', demo.read(), re.M).group(1)

base, server_pid = sys.argv[1], int(sys.argv[2])
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
deadline = time.monotonic() + 60
while True:
    try:
        page = opener.open(base + "/connexion/", timeout=10).read().decode()
        break
    except (urllib.error.URLError, ConnectionError):
        if time.monotonic() > deadline:
            sys.exit("the server did not answer within 60 s")
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            sys.exit("the server exited")
        time.sleep(0.3)
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
if not token:
    sys.exit("no CSRF token on /connexion/")
data = urllib.parse.urlencode(
    {"csrfmiddlewaretoken": token.group(1), "username": "dupont", "password": DEMO_PASSWORD, "next": ""}
).encode()
request = urllib.request.Request(base + "/connexion/", data=data, headers={"Referer": base + "/connexion/"})
response = opener.open(request, timeout=30)  # follows the redirect to the home page
home = response.read().decode()
if urllib.parse.urlsplit(response.geturl()).path.startswith("/connexion/"):
    sys.exit("login refused: still on /connexion/")
if "DUPONT Jean-Paul" not in home:
    sys.exit(f"'DUPONT Jean-Paul' not on {response.geturl()}")
print(f"login as dupont OK, {response.geturl()} shows 'DUPONT Jean-Paul'")
EOF
step "restored database serves the demo family; row counts equal"
