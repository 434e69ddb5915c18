#!/usr/bin/env bash
# A private PostgreSQL cluster for the test suite, so Label Studio is tested on it as well as on
# SQLite. Prints `export EVENTGOLD_TEST_POSTGRES=postgres://...` for the caller to eval:
#   eval "$(scripts/postgres.sh)"     # install (root + apt-get, first run only), init, start
#   scripts/postgres.sh stop          # stop the cluster (its files stay, so re-runs are quick)
#   scripts/postgres.sh start PID / stop PID   # shared use: process PID holds the cluster, and
#       `stop PID` only stops it once no other live holder is left (parallel `./dev test` runs)
# Does nothing if EVENTGOLD_TEST_POSTGRES is already set (a PostgreSQL of your own).
# The cluster lives in $EVENTGOLD_PG_DIR (default /tmp/eventgold-pg-$UID-<checkout hash>): one per
# checkout, so parallel checkouts never stop each other's cluster. /tmp rather than the checkout
# because, as root, the cluster runs as the `postgres` user, who may not be able to enter it.
# stdout carries only the export line (it holds the test password: eval it, don't print it);
# everything for people goes to stderr.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}

action="${1:-start}"
holder="${2:-}"
case "$action" in
  start | stop) ;;
  *) die "usage: $0 [start|stop] [HOLDER_PID]" ;;
esac
case "$holder" in
  '' | *[!0-9]*) [ -z "$holder" ] || die "HOLDER_PID must be a process id, got '$holder'" ;;
esac

if [ "$action" = start ] && [ -n "${EVENTGOLD_TEST_POSTGRES:-}" ]; then
  say "EVENTGOLD_TEST_POSTGRES is already set; using that PostgreSQL"
  exit 0
fi

checkout="$(cd "$(dirname "$0")/.." && pwd)"
sum="$(printf '%s' "$checkout" | cksum | cut -d' ' -f1)"
dir="${EVENTGOLD_PG_DIR:-/tmp/eventgold-pg-$(id -u)-$sum}"
data="$dir/data"
secret="$dir/eventgold.env" # user, password, port of the last start; mode 0600
pg_user=eventgold
pg_db=eventgold

# Debian keeps initdb/pg_ctl off PATH, under /usr/lib/postgresql/<version>/bin.
find_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$found" ] && [ -x "$found/pg_ctl" ] && [ -x "$found/initdb" ]; then
    echo "$found"
  elif command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  fi
}

# PostgreSQL refuses to run as root: as root, run it as the `postgres` user (from `/` so it never
# complains about a working directory it cannot enter).
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# One start or stop at a time per cluster: parallel runs must not race on initdb or stop.
mkdir -p "$(dirname "$dir")" 2>/dev/null || die "cannot create the folder for the cluster: $(dirname "$dir")"
exec 9>"$dir.lock"
flock 9 2>/dev/null || true

bin="$(find_bin)"
running() {
  [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] &&
    as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

if [ "$action" = stop ]; then
  if [ -n "$holder" ]; then
    rm -f "$dir/holders/$holder"
    for other in "$dir"/holders/*; do
      [ -e "$other" ] || continue
      if kill -0 "${other##*/}" 2>/dev/null; then
        say "leaving the test PostgreSQL running: process ${other##*/} still uses it"
        exit 0
      fi
      rm -f "$other" # a holder that died without stopping
    done
  fi
  if running; then
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    say "stopped the test PostgreSQL in $dir"
  else
    say "no test PostgreSQL running in $dir"
  fi
  exit 0
fi

if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing PostgreSQL from the system packages (first run only)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq postgresql </dev/null >&2 || die "apt-get install postgresql failed"
    bin="$(find_bin)"
  fi
  [ -n "$bin" ] || die "PostgreSQL server binaries (initdb, pg_ctl) not found; install the \
'postgresql' package (as root with apt-get this script does it) or set \
EVENTGOLD_TEST_POSTGRES=postgres://user:password@host:port/db"
fi

if [ ! -f "$data/PG_VERSION" ]; then
  say "creating a test cluster in $dir…"
  rm -rf "$dir"
  mkdir -p "$dir"
  chmod 0700 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  # Local socket: trust, but the socket lives in the 0700 cluster folder. TCP: password only.
  as_pg "$bin/initdb" -D "$data" -U postgres -A trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    die "initdb failed; see $dir/initdb.log"
  umask 077
  printf 'PASSWORD=%s\n' "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >"$secret"
fi

# shellcheck disable=SC1090
. "$secret"
if running; then
  . "$dir/port"
else
  PORT="$("${PYTHON:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  say "starting the test PostgreSQL on 127.0.0.1:$PORT…"
  as_pg "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $dir" start >/dev/null 9>&- ||
    die "PostgreSQL did not start; see $dir/server.log"
  printf 'PORT=%s\n' "$PORT" >"$dir/port"
fi

# The test user may create databases: every test run makes a fresh one, so runs never collide.
# The password is sent on stdin, never on a command line other users could see.
as_pg "$bin/psql" -h "$dir" -p "$PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
  >/dev/null 2>"$dir/psql.log" <<SQL || die "creating the test user and database failed; see $dir/psql.log"
SELECT format('CREATE ROLE %I LOGIN CREATEDB', '$pg_user')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$pg_user')\gexec
ALTER ROLE $pg_user PASSWORD '$PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$pg_db', '$pg_user')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$pg_db')\gexec
SQL

if [ -n "$holder" ]; then
  mkdir -p "$dir/holders"
  : >"$dir/holders/$holder"
fi
say "test PostgreSQL is up on 127.0.0.1:$PORT (stop it with: $0 stop)"
echo "export EVENTGOLD_TEST_POSTGRES=postgres://$pg_user:$PASSWORD@127.0.0.1:$PORT/$pg_db"
