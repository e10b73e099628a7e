#!/usr/bin/env bash
# Installs what the tests need and runs every test: type check, then all jest suites of the repo
# (the store also on a throwaway PostgreSQL, the Prometheus provider on a real Prometheus).
# Ends with "N passed, N failed" from jest's results.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
export CI=true # backstage-cli runs jest in watch mode otherwise

yarn install --immutable
source scripts/postgres.sh
source scripts/prometheus.sh

yarn tsc

results="$(mktemp /tmp/canary-jest.XXXXXX.json)"
status=0
yarn backstage-cli repo test --json --outputFile="$results" || status=$?
node scripts/summarize-jest.mjs "$results" || status=1
exit "$status"
