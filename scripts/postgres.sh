# Sourced by scripts/test.sh: starts a throwaway PostgreSQL on 127.0.0.1 for the tests that promise
# PostgreSQL, exports its connection string the way @backstage/backend-test-utils reads it, and
# stops it (by its PID) when the sourcing shell exits. Installs Debian's server when it is missing.
# shellcheck shell=bash

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(pg_bin_dir)" ] || [ ! -x "$(pg_bin_dir)/postgres" ]; then
  echo "Installing PostgreSQL from Debian's archive" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

PG_BIN="$(pg_bin_dir)"
PG_MAJOR="$(basename "$(dirname "$PG_BIN")")"
PG_PORT="${CANARY_TEST_PG_PORT:-55432}"
PG_DIR="$(mktemp -d /tmp/canary-pg.XXXXXX)"

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"

as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$PG_BIN/postgres" -D "$PG_DIR/data" -h 127.0.0.1 -p "$PG_PORT" -k "$PG_DIR" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
  >"$PG_DIR/server.log" 2>&1 &
PG_PID=$!

stop_postgres() {
  # $PG_PID is the subshell that runs runuser, not postgres: ask postgres itself to stop.
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DIR/data" -m fast -w >/dev/null 2>&1 || true
  # `wait` returns the signal's status: never let that end the sourcing script under `set -e`.
  kill "$PG_PID" 2>/dev/null && wait "$PG_PID" 2>/dev/null || true
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

for _ in $(seq 1 100); do
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 0.1
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || {
  cat "$PG_DIR/server.log" >&2
  echo "PostgreSQL did not start" >&2
  exit 1
}

export CANARY_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export "BACKSTAGE_TEST_DATABASE_POSTGRES${PG_MAJOR}_CONNECTION_STRING=$CANARY_TEST_POSTGRES_URL"
export CANARY_TEST_POSTGRES_ID="POSTGRES_${PG_MAJOR}"
# No Docker engine here: never let the test utilities try one.
export BACKSTAGE_TEST_DISABLE_DOCKER=1
echo "PostgreSQL $PG_MAJOR on 127.0.0.1:$PG_PORT (pid $PG_PID)" >&2
