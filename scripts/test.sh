#!/usr/bin/env bash
# Installs what the tests need and runs every test: type check, all jest suites of the repo (the
# store also on a throwaway PostgreSQL, the Prometheus provider on a real Prometheus), then the
# browser end-to-end tests against the app (scripts/e2e.sh). Ends with "N passed, N failed" summed
# from the runners' JSON reports.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
export CI=true # backstage-cli runs jest in watch mode otherwise

yarn install --immutable
source scripts/postgres.sh
source scripts/prometheus.sh

yarn tsc

mkdir -p test-results
results=test-results/jest.json
status=0
yarn backstage-cli repo test --json --outputFile="$results" || status=$?
./scripts/e2e.sh || status=1
node scripts/summarize-tests.mjs --jest "$results" \
  --playwright e2e-test-report/results.json || status=1
exit "$status"
