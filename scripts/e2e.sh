#!/usr/bin/env bash
# The browser end-to-end tests (packages/app/e2e-tests) against the app on its embedded default:
# starts the backend (run once, not watching files) on a throwaway SQLite directory and the
# frontend's dev server, waits for both and for the demo entity, runs Playwright in Debian's
# Chromium, stops what it started, and ends with "N passed, N failed" from Playwright's JSON report.
# Reports, logs and screenshots go to e2e-test-report/ (git-ignored). With E2E_UPDATE_DOCS=1 the
# screenshot of a rollout in its second stage replaces docs/canary-tab.png (the README's).
# Needs ports 3000 and 7007 free; takes 4-6 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh

ROOT="$PWD"

# Debian's Chromium (Playwright's own browser download cannot work here).
if [ -z "${E2E_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "Installing Chromium from Debian's archive" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
REPORT_DIR="$ROOT/e2e-test-report"
BACKEND_URL=http://127.0.0.1:7007
FRONTEND_URL=http://127.0.0.1:3000

for port in 3000 7007; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is in use: stop the app running there first" >&2
    exit 1
  fi
done

rm -rf "$REPORT_DIR"
mkdir -p "$REPORT_DIR"
work="$(mktemp -d /tmp/canary-e2e.XXXXXX)"
mkdir -p "$work/sqlite"
pids=()

# Each server runs in its own process group (setsid), so stopping it stops its children too.
stop_all() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop_all EXIT

# Polls a URL until it answers with success, or gives up after a number of seconds.
wait_for() {
  local what="$1" url="$2" seconds="$3" started=$SECONDS
  until curl -sf -o /dev/null "$url"; do
    if ((SECONDS - started > seconds)); then
      echo "$what did not come up within ${seconds}s; see $REPORT_DIR/*.log" >&2
      return 1
    fi
    sleep 1
  done
  echo "$what is up after $((SECONDS - started))s"
}

echo "== starting the backend (SQLite in $work/sqlite) and the frontend"
# What `backstage-cli package start` runs for the backend, minus its file watcher and restarts.
(
  cd packages/backend
  export NODE_ENV=development
  export APP_CONFIG_backend_database_connection_directory="$work/sqlite"
  export ESBK_TSCONFIG_PATH="$ROOT/tsconfig.json"
  exec setsid node --enable-source-maps \
    --require "$ROOT/node_modules/@backstage/cli-node/config/nodeTransform.cjs" \
    src/index.ts
) >"$REPORT_DIR/backend.log" 2>&1 &
pids+=("$!")
(BROWSER=none exec setsid yarn workspace app start) >"$REPORT_DIR/frontend.log" 2>&1 &
pids+=("$!")

wait_for "backend" "$BACKEND_URL/api/canary/health" 180
wait_for "frontend" "$FRONTEND_URL" 300

# The catalog reads catalog-info.yaml shortly after start: wait for the demo entity.
token="$(curl -sf -H 'X-Requested-With: XMLHttpRequest' \
  "$BACKEND_URL/api/auth/guest/refresh?env=development" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).backstageIdentity.token))')"
started=$SECONDS
until curl -sf -o /dev/null -H "Authorization: Bearer $token" \
  "$BACKEND_URL/api/catalog/entities/by-name/component/default/demo-shop"; do
  if ((SECONDS - started > 120)); then
    echo "The demo entity did not reach the catalog" >&2
    exit 1
  fi
  sleep 1
done
echo "demo-shop is in the catalog"

echo "== running the end-to-end tests"
status=0
yarn playwright test --config packages/app/e2e-tests/playwright.config.ts || status=$?

if [ "${E2E_UPDATE_DOCS:-}" = 1 ] && [ -f "$REPORT_DIR/screenshots/readme.png" ]; then
  cp "$REPORT_DIR/screenshots/readme.png" docs/canary-tab.png
  echo "docs/canary-tab.png updated"
fi

# Timings the tests recorded, then the closing line, from Playwright's JSON report.
node - "$REPORT_DIR/results.json" <<'EOF' || status=1
const fs = require('node:fs');
const file = process.argv[2];
if (!fs.existsSync(file)) {
  console.error(`No test results at ${file}`);
  process.exit(1);
}
const report = JSON.parse(fs.readFileSync(file, 'utf8'));
const walk = suite => [
  ...(suite.specs ?? []).flatMap(spec => spec.tests),
  ...(suite.suites ?? []).flatMap(walk),
];
const notes = new Set();
for (const test of report.suites.flatMap(walk)) {
  for (const note of [
    ...(test.annotations ?? []),
    ...test.results.flatMap(result => result.annotations ?? []),
  ]) {
    if (note.description) notes.add(`${note.type}: ${note.description}`);
  }
}
notes.forEach(note => console.log(note));
const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats;
console.log(
  `${expected + flaky} passed, ${unexpected} failed${skipped ? `, ${skipped} skipped` : ''}`,
);
EOF
exit "$status"
