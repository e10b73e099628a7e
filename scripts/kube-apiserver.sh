# Sourced by CI (and by hand) before the tests: runs a real Kubernetes API server on 127.0.0.1 for
# the contract and end-to-end tests of plugins/canary-backend-module-kubernetes, and stops it when
# the sourcing shell exits.
#
#   source scripts/kube-apiserver.sh   # then run the tests in the same shell
#
# - kube-apiserver 1.20.2 is built once from Debian's `kubernetes` source package with Debian's Go
#   1.19 (about 7 minutes on 2 cores) and cached in $CANARY_KUBE_CACHE_DIR
#   (/var/cache/canary-release); later runs reuse the binary and start in a few seconds.
# - etcd (Debian's etcd-server) and the API server listen on free loopback ports, serve HTTPS with a
#   CA made here, authenticate with static tokens and authorize with RBAC: one token is in
#   system:masters, the other has no permissions at all (for the tests of 403 answers).
# - The Istio VirtualService and Gateway API HTTPRoute CRDs of the module's test fixtures are
#   applied. There is no controller-manager: Deployment status changes only when a test writes it.
# - Exports CANARY_TEST_KUBE_APISERVER_URL, _TOKEN, _CA_FILE and _UNPRIVILEGED_TOKEN. Logs go to
#   $CANARY_KUBE_RUN_DIR (a temp dir, removed on exit unless CANARY_KUBE_KEEP_LOGS=1).
#
# Sourcing it twice in one shell reuses the running server. It returns non-zero (and prints the
# logs' tails) when something cannot be installed, built or started.
# shellcheck shell=bash

KUBE_VERSION="1.20.2"
CANARY_KUBE_CACHE_DIR="${CANARY_KUBE_CACHE_DIR:-/var/cache/canary-release}"
KUBE_APISERVER_BIN="$CANARY_KUBE_CACHE_DIR/kube-apiserver-v$KUBE_VERSION"
KUBE_CRD_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/plugins/canary-backend-module-kubernetes/src/__fixtures__/crds"
# What the CRDs serve, as group/version/plural: the server is ready for tests when each answers.
KUBE_CRD_RESOURCES="networking.istio.io/v1/virtualservices networking.istio.io/v1beta1/virtualservices gateway.networking.k8s.io/v1/httproutes"

kube_log() {
  echo "kube-apiserver.sh: $*" >&2
}

# Installs the Debian packages among "$@" that are missing (one apt-get update per shell).
kube_apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  kube_log "installing ${missing[*]} from Debian's archive"
  export DEBIAN_FRONTEND=noninteractive
  # Another job on the machine may hold the dpkg lock: wait for it rather than fail.
  local apt=(apt-get -qq -o DPkg::Lock::Timeout=600)
  if [ -z "${KUBE_APT_UPDATED:-}" ]; then
    "${apt[@]}" update >/dev/null || return 1
    KUBE_APT_UPDATED=1
  fi
  "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null
}

# The deb-src entry `apt-get source kubernetes` needs (the machine has only binary entries).
kube_add_deb_src() {
  local list=/etc/apt/sources.list.d/canary-release-deb-src.sources
  [ -f "$list" ] && return 0
  kube_log "adding a deb-src entry for Debian bookworm ($list)"
  cat >"$list" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  KUBE_APT_UPDATED=
}

# Builds kube-apiserver from Debian's source package into $KUBE_APISERVER_BIN. Runs under a lock so
# that two shells never build at once; the second one finds the binary when it gets the lock.
kube_build_apiserver() {
  mkdir -p "$CANARY_KUBE_CACHE_DIR" || return 1
  # Every step ends in `|| exit 1`: `set -e` does not hold inside a function called from a `||`
  # list, which is how this runs.
  (
    flock 9 || exit 1
    [ -x "$KUBE_APISERVER_BIN" ] && exit 0
    kube_add_deb_src || exit 1
    kube_apt_install dpkg-dev golang-1.19-go golang-github-modern-go-reflect2-dev || exit 1
    local work src log dirs
    work="$(mktemp -d /tmp/canary-kube-build.XXXXXX)" || exit 1
    log="$CANARY_KUBE_RUN_DIR/build.log"
    trap 'rm -rf "$work"' EXIT
    kube_log "building kube-apiserver $KUBE_VERSION once (about 5-7 minutes on 2 cores; log: $log)"
    cd "$work" || exit 1
    apt-get source -qq kubernetes >>"$log" 2>&1 || exit 1
    if [ ! -d kubernetes-*"$KUBE_VERSION"/ ]; then
      kube_log "Debian's kubernetes source package is not version $KUBE_VERSION: $(ls)"
      exit 1
    fi
    # Build in GOPATH mode: the source package carries everything in vendor/.
    mkdir -p gopath/src/k8s.io && mv kubernetes-*/ gopath/src/k8s.io/kubernetes || exit 1
    src="$work/gopath/src/k8s.io/kubernetes"
    export GOPATH="$work/gopath" GO111MODULE=off CGO_ENABLED=0 GOFLAGS=
    export GOCACHE="$work/gocache" PATH="/usr/lib/go-1.19/bin:$PATH"
    cd "$src" || exit 1
    # The vendored reflect2 1.0.1 crashes on Go >= 1.18; Debian ships 1.0.2.
    rm -rf vendor/github.com/modern-go/reflect2 &&
      cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2 &&
      rm -f vendor/github.com/modern-go/reflect2/go.mod || exit 1
    # pkg/generated/openapi is generated (the Makefile's gen_openapi, KUBE target): from every
    # package with a +k8s:openapi-gen tag, staging named by its vendor/ path.
    go build -o "$work/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen >>"$log" 2>&1 || exit 1
    dirs="$(find -H . \( -path ./vendor -o -path './_*' -o -path './.*' \) -prune -o -type f -name '*.go' -print |
      xargs grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' | xargs -n1 dirname |
      sed 's|^\./staging/src|vendor|; s|^\./||' | grep -v -E '^vendor/k8s.io/(code-generator|sample-apiserver)/' |
      LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)"
    [ -n "$dirs" ] || exit 1
    "$work/openapi-gen" --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
      -O zz_generated.openapi -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt \
      -r "$work/openapi-violations.report" >>"$log" 2>&1 || exit 1
    go build -o "$work/kube-apiserver" -ldflags "-s -w" k8s.io/kubernetes/cmd/kube-apiserver >>"$log" 2>&1 || exit 1
    # Publish atomically: a half-copied binary is never mistaken for a cached one.
    cp "$work/kube-apiserver" "$KUBE_APISERVER_BIN.tmp" && mv "$KUBE_APISERVER_BIN.tmp" "$KUBE_APISERVER_BIN"
  ) 9>"$CANARY_KUBE_CACHE_DIR/.build.lock"
}

# A free TCP port on 127.0.0.1 in 20000-59999 (nothing answers on it right now).
kube_free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# A CA, a serving certificate for 127.0.0.1 signed by it, the service-account signing key and the
# token file, in $CANARY_KUBE_RUN_DIR/pki.
kube_make_credentials() {
  local pki="$CANARY_KUBE_RUN_DIR/pki"
  mkdir -p "$pki"
  (
    cd "$pki" &&
      openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=canary-release-test-ca' \
        -keyout ca.key -out ca.crt &&
      openssl req -newkey rsa:2048 -nodes -subj '/CN=kube-apiserver' -keyout server.key -out server.csr &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile server.ext -out server.crt &&
      openssl genrsa -out service-account.key 2048
  ) >>"$CANARY_KUBE_RUN_DIR/pki.log" 2>&1 || return 1
  CANARY_TEST_KUBE_APISERVER_TOKEN="$(openssl rand -hex 24)"
  CANARY_TEST_KUBE_APISERVER_UNPRIVILEGED_TOKEN="$(openssl rand -hex 24)"
  printf '%s,canary-admin,canary-admin,system:masters\n%s,canary-nobody,canary-nobody\n' \
    "$CANARY_TEST_KUBE_APISERVER_TOKEN" "$CANARY_TEST_KUBE_APISERVER_UNPRIVILEGED_TOKEN" \
    >"$pki/tokens.csv"
  CANARY_TEST_KUBE_APISERVER_CA_FILE="$pki/ca.crt"
}

# curl against the API server as the admin; extra arguments follow.
kube_curl() {
  curl -sS --max-time 10 --cacert "$CANARY_TEST_KUBE_APISERVER_CA_FILE" \
    -H "Authorization: Bearer $CANARY_TEST_KUBE_APISERVER_TOKEN" "$@"
}

kube_dump_logs() {
  local file
  for file in "$CANARY_KUBE_RUN_DIR"/*.log; do
    [ -f "$file" ] || continue
    echo "---- tail of $file" >&2
    tail -n 30 "$file" >&2
  done
}

# Waits until `$1` (a command) succeeds, for at most $2 tenths of a second, while process $3 lives.
kube_wait_for() {
  local check="$1" tenths="$2" pid="$3"
  for _ in $(seq 1 "$tenths"); do
    eval "$check" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

kube_start_etcd() {
  local client_port peer_port
  client_port="$(kube_free_port)" && peer_port="$(kube_free_port)" || return 1
  KUBE_ETCD_URL="http://127.0.0.1:$client_port"
  etcd --name canary-test --data-dir "$CANARY_KUBE_RUN_DIR/etcd" \
    --listen-client-urls "$KUBE_ETCD_URL" --advertise-client-urls "$KUBE_ETCD_URL" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "canary-test=http://127.0.0.1:$peer_port" \
    >"$CANARY_KUBE_RUN_DIR/etcd.log" 2>&1 &
  CANARY_KUBE_ETCD_PID=$!
  kube_wait_for 'curl -sf --max-time 1 "$KUBE_ETCD_URL/health" >/dev/null' 100 "$CANARY_KUBE_ETCD_PID"
}

kube_start_apiserver() {
  local port pki="$CANARY_KUBE_RUN_DIR/pki"
  port="$(kube_free_port)" || return 1
  CANARY_TEST_KUBE_APISERVER_URL="https://127.0.0.1:$port"
  "$KUBE_APISERVER_BIN" \
    --etcd-servers="$KUBE_ETCD_URL" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" \
    --tls-cert-file="$pki/server.crt" --tls-private-key-file="$pki/server.key" \
    --cert-dir="$CANARY_KUBE_RUN_DIR/apiserver-certs" \
    --token-auth-file="$pki/tokens.csv" --authorization-mode=RBAC \
    --service-account-key-file="$pki/service-account.key" \
    --service-account-signing-key-file="$pki/service-account.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-cluster-ip-range=10.96.0.0/24 \
    --enable-priority-and-fairness=false --profiling=false --v=1 \
    >"$CANARY_KUBE_RUN_DIR/kube-apiserver.log" 2>&1 &
  CANARY_KUBE_APISERVER_PID=$!
  kube_wait_for 'kube_curl -f "$CANARY_TEST_KUBE_APISERVER_URL/readyz" >/dev/null 2>&1' 600 \
    "$CANARY_KUBE_APISERVER_PID"
}

# Creates the fixture CRDs (an existing one is fine) and waits until each resource is served.
kube_apply_crds() {
  local file code resource
  for file in "$KUBE_CRD_DIR"/*.yaml; do
    code="$(kube_curl -o "$CANARY_KUBE_RUN_DIR/crd-response.json" -w '%{http_code}' -X POST \
      -H 'Content-Type: application/yaml' --data-binary "@$file" \
      "$CANARY_TEST_KUBE_APISERVER_URL/apis/apiextensions.k8s.io/v1/customresourcedefinitions")"
    if [ "$code" != 201 ] && [ "$code" != 409 ]; then
      kube_log "creating the CRD of $file answered $code: $(cat "$CANARY_KUBE_RUN_DIR/crd-response.json")"
      return 1
    fi
  done
  for resource in $KUBE_CRD_RESOURCES; do
    KUBE_CRD_URL="$CANARY_TEST_KUBE_APISERVER_URL/apis/$resource?limit=1"
    kube_wait_for 'kube_curl -f "$KUBE_CRD_URL" >/dev/null 2>&1' 300 "$CANARY_KUBE_APISERVER_PID" || {
      kube_log "$resource is not served"
      return 1
    }
  done
}

# Stops what this script started (by PID), then removes its temp dir.
kube_stop() {
  local pid
  for pid in "${CANARY_KUBE_APISERVER_PID:-}" "${CANARY_KUBE_ETCD_PID:-}"; do
    [ -n "$pid" ] || continue
    # `wait` returns the signal's status: never let that stop the cleanup under `set -e`.
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  done
  CANARY_KUBE_APISERVER_PID=
  CANARY_KUBE_ETCD_PID=
  if [ -n "${CANARY_KUBE_RUN_DIR:-}" ] && [ "${CANARY_KUBE_KEEP_LOGS:-}" != 1 ]; then
    rm -rf "$CANARY_KUBE_RUN_DIR"
  fi
  return 0
}

# Runs kube_stop on exit after whatever EXIT trap the shell already had (e.g. scripts/postgres.sh's).
kube_chain_exit_trap() {
  local previous
  previous="$(trap -p EXIT)"
  if [ -n "$previous" ]; then
    eval "set -- $previous"
    # shellcheck disable=SC2064 # expanded now on purpose: the previous handler's text
    trap "kube_stop; $3" EXIT
  else
    trap kube_stop EXIT
  fi
}

kube_start() {
  local started
  started="$(date +%s%N)"
  CANARY_KUBE_RUN_DIR="$(mktemp -d /tmp/canary-kube.XXXXXX)"
  kube_chain_exit_trap
  kube_apt_install curl openssl etcd-server || return 1
  if [ ! -x "$KUBE_APISERVER_BIN" ]; then
    kube_build_apiserver || {
      kube_log "building kube-apiserver failed"
      kube_dump_logs
      return 1
    }
  fi
  kube_make_credentials || {
    kube_log "creating certificates failed"
    kube_dump_logs
    return 1
  }
  kube_start_etcd || {
    kube_log "etcd did not start"
    kube_dump_logs
    return 1
  }
  kube_start_apiserver || {
    kube_log "kube-apiserver did not become ready"
    kube_dump_logs
    return 1
  }
  kube_apply_crds || {
    kube_dump_logs
    return 1
  }
  export CANARY_TEST_KUBE_APISERVER_URL CANARY_TEST_KUBE_APISERVER_TOKEN
  export CANARY_TEST_KUBE_APISERVER_CA_FILE CANARY_TEST_KUBE_APISERVER_UNPRIVILEGED_TOKEN
  kube_log "kube-apiserver $KUBE_VERSION at $CANARY_TEST_KUBE_APISERVER_URL (pid $CANARY_KUBE_APISERVER_PID, etcd pid $CANARY_KUBE_ETCD_PID), ready after $((($(date +%s%N) - started) / 1000000)) ms; logs in $CANARY_KUBE_RUN_DIR"
}

if [ -n "${CANARY_KUBE_APISERVER_PID:-}" ] && kill -0 "$CANARY_KUBE_APISERVER_PID" 2>/dev/null; then
  kube_log "reusing the kube-apiserver at $CANARY_TEST_KUBE_APISERVER_URL (pid $CANARY_KUBE_APISERVER_PID)"
else
  kube_start || {
    kube_stop
    return 1 2>/dev/null || exit 1
  }
fi
