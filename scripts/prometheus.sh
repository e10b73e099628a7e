# Sourced by scripts/test.sh: starts a throwaway Prometheus on 127.0.0.1 for the tests that promise a
# real one, with an empty TSDB in a temporary folder and the remote-write receiver on (the tests
# write their synthetic series through it), exports its URL as CANARY_TEST_PROMETHEUS_URL, and stops
# it (by its PID) when the sourcing shell exits. Installs Debian's package when it is missing.
# shellcheck shell=bash

if ! command -v prometheus >/dev/null 2>&1; then
  echo "Installing Prometheus from Debian's archive" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# True when something already listens on 127.0.0.1:$1.
prom_port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when the server on 127.0.0.1:$1 answers its readiness endpoint with 200.
prom_ready() {
  local status
  status="$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    head -n 1 <&3
  )"
  [[ "$status" == *" 200 "* ]]
}

PROM_PORT="${CANARY_TEST_PROMETHEUS_PORT:-59090}"
while prom_port_taken "$PROM_PORT"; do
  PROM_PORT=$((PROM_PORT + 1))
done
PROM_DIR="$(mktemp -d /tmp/canary-prometheus.XXXXXX)"

# No scrape jobs: the tests write every sample themselves. The out-of-order window lets them write
# history (samples older than the newest one already stored) in any order, within a day.
cat >"$PROM_DIR/prometheus.yml" <<'EOF'
global:
  scrape_interval: 1m
storage:
  tsdb:
    out_of_order_time_window: 1d
EOF

prometheus \
  --config.file="$PROM_DIR/prometheus.yml" \
  --storage.tsdb.path="$PROM_DIR/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" \
  --web.enable-remote-write-receiver \
  --log.level=warn \
  >"$PROM_DIR/server.log" 2>&1 &
PROM_PID=$!

stop_prometheus() {
  # `wait` returns the signal's status: never let that end the sourcing script under `set -e`.
  kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null || true
  rm -rf "$PROM_DIR"
}
# Chain with a trap set before (scripts/postgres.sh sets one too), so both servers stop.
PROM_PREVIOUS_TRAP="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
trap "stop_prometheus; $PROM_PREVIOUS_TRAP" EXIT

for _ in $(seq 1 100); do
  prom_ready "$PROM_PORT" && break
  sleep 0.1
done
prom_ready "$PROM_PORT" || {
  cat "$PROM_DIR/server.log" >&2
  echo "Prometheus did not start" >&2
  exit 1
}

export CANARY_TEST_PROMETHEUS_URL="http://127.0.0.1:$PROM_PORT"
echo "Prometheus $(prometheus --version 2>&1 | head -n 1 | awk '{print $3}') on 127.0.0.1:$PROM_PORT (pid $PROM_PID)" >&2
