#!/usr/bin/env bash
# Installs what the app needs and starts it on its embedded default: SQLite in memory, the demo
# workload on loopback, guest sign-in. Frontend on http://localhost:3000, backend on :7007.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/env.sh
yarn install --immutable
exec yarn start "$@"
