#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster started from the
# installed server binaries (Debian's postgresql installed if missing).
# The cluster lives in a temporary folder and is removed on exit.
#   scripts/with-postgres.sh COMMAND [ARGS…]   (DATABASE_URL is set for COMMAND)
set -euo pipefail

find_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

bindir=$(find_bindir || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries are missing: apt-get install postgresql" >&2
    exit 1
  fi
  echo "Installing Debian's postgresql…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  bindir=$(find_bindir)
fi

# initdb refuses to run as root: the cluster belongs to an unprivileged user.
run_as=()
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  owner=postgres
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  run_as=(runuser -u postgres --)
fi

datadir=$(mktemp -d /tmp/portail-pg.XXXXXX)
chown "$owner" "$datadir"
port=${PG_PORT:-$(( 20000 + RANDOM % 20000 ))}

cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$datadir"
}
trap cleanup EXIT

"${run_as[@]}" "$bindir/initdb" -D "$datadir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$datadir/data" -l "$datadir/server.log" -w \
  -o "-p $port -k $datadir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null

export DATABASE_URL="postgres://postgres@127.0.0.1:$port/portail"
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on port $port"
"$@"
