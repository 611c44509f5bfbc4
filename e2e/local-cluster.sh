#!/usr/bin/env bash
# A real Kubernetes control plane on loopback: etcd, kube-apiserver and
# kube-controller-manager (for garbage collection), plus kubectl and helm,
# all of one pinned Kubernetes version. Used by the demo, the tests and the
# benchmark alike.
#
#   e2e/local-cluster.sh up       provision binaries (once), start, install crds/
#   e2e/local-cluster.sh down     stop everything (keeps the cache)
#   e2e/local-cluster.sh env      print `export KUBECONFIG=...` and a PATH with kubectl and helm
#   e2e/local-cluster.sh status   say what runs
#   e2e/local-cluster.sh binaries provision the binaries only
#   e2e/local-cluster.sh restart-apiserver | restart-etcd   (fault tests)
#
# Binaries come from, in order: the environment (ETCD_BIN, KUBE_APISERVER_BIN,
# KUBE_CONTROLLER_MANAGER_BIN, KUBECTL_BIN, HELM_BIN), the cache under
# ~/.cache/arraypki, a build from the upstream Go modules with the machine's
# Go toolchain (through the Go module proxy), the official release downloads.
set -euo pipefail

KUBE_VERSION=v1.34.4          # kube-apiserver, kube-controller-manager, kubectl
ETCD_VERSION=v3.6.4           # the etcd that Kubernetes v1.34.4 is built against
HELM_VERSION=v3.19.5          # the Helm release built against Kubernetes 0.34
KUBE_MINOR=$(echo "$KUBE_VERSION" | cut -d. -f2)

ARRAYPKI_CACHE=${ARRAYPKI_CACHE:-$HOME/.cache/arraypki}
BIN_DIR=$ARRAYPKI_CACHE/bin/kubernetes-$KUBE_VERSION
HELM_DIR=$ARRAYPKI_CACHE/bin/helm-$HELM_VERSION
STATE_DIR=${ARRAYPKI_CLUSTER_DIR:-$ARRAYPKI_CACHE/cluster}
APISERVER_PORT=${ARRAYPKI_APISERVER_PORT:-16443}
ETCD_PORT=${ARRAYPKI_ETCD_PORT:-23790}
ETCD_PEER_PORT=$((ETCD_PORT + 10))
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { echo "local-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------- binaries

bin_path() { # name -> path of the binary that will be used
  local name=$1 var
  var=$(echo "$name" | tr 'a-z-' 'A-Z_')_BIN
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  if [ "$name" = helm ]; then echo "$HELM_DIR/helm"; else echo "$BIN_DIR/$name"; fi
}

all_present() {
  local b
  for b in etcd kube-apiserver kube-controller-manager kubectl helm; do
    [ -x "$(bin_path "$b")" ] || return 1
  done
}

go_env() {
  export GOMODCACHE=$ARRAYPKI_CACHE/go/mod
  export GOCACHE=$ARRAYPKI_CACHE/go/build
  export GOFLAGS=-mod=mod
  export GOTOOLCHAIN=local
  export CGO_ENABLED=0
}

# Kubernetes' own go.mod points its staging modules at ./staging; a module that
# depends on it must point them at their published v0.x versions instead.
write_kubernetes_module() {
  local dir=$1 gomod
  mkdir -p "$dir"
  (cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null)
  gomod=$GOMODCACHE/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod
  {
    echo "module local.arraypki/kubernetes-binaries"
    echo "go 1.24.0"
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo "require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
    grep -E '^\s+k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" |
      awk -v v="v0.${KUBE_VERSION#v1.}" '{print "replace " $1 " => " $1 " " v}'
  } > "$dir/go.mod"
}

build_from_go_modules() {
  command -v go >/dev/null || return 1
  go_env
  local work=$ARRAYPKI_CACHE/go/src
  log "building Kubernetes $KUBE_VERSION and etcd $ETCD_VERSION from the Go modules (first time only; long)"
  write_kubernetes_module "$work/kubernetes"
  mkdir -p "$BIN_DIR.tmp"
  (cd "$work/kubernetes" &&
    go build -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${KUBE_MINOR} \
      -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION" \
      -o "$BIN_DIR.tmp/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl \
      go.etcd.io/etcd/server/v3) || return 1
  [ -f "$BIN_DIR.tmp/v3" ] && mv "$BIN_DIR.tmp/v3" "$BIN_DIR.tmp/etcd"
  [ -f "$BIN_DIR.tmp/server" ] && mv "$BIN_DIR.tmp/server" "$BIN_DIR.tmp/etcd"
  rm -rf "$BIN_DIR" && mv "$BIN_DIR.tmp" "$BIN_DIR"

  log "building Helm $HELM_VERSION from the Go modules"
  mkdir -p "$work/helm" "$HELM_DIR.tmp"
  (cd "$work/helm" &&
    printf 'module local.arraypki/helm-binary\ngo 1.24.0\nrequire helm.sh/helm/v3 %s\n' "$HELM_VERSION" > go.mod &&
    go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
      -o "$HELM_DIR.tmp/helm" helm.sh/helm/v3/cmd/helm) || return 1
  rm -rf "$HELM_DIR" && mv "$HELM_DIR.tmp" "$HELM_DIR"
}

download_releases() {
  command -v curl >/dev/null || return 1
  local arch os=linux
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; *) return 1 ;; esac
  log "downloading the official releases"
  mkdir -p "$BIN_DIR" "$HELM_DIR"
  local b
  for b in kube-apiserver kube-controller-manager kubectl; do
    curl -fsSL --connect-timeout 10 -o "$BIN_DIR/$b" "https://dl.k8s.io/release/$KUBE_VERSION/bin/$os/$arch/$b" || return 1
    chmod +x "$BIN_DIR/$b"
  done
  curl -fsSL --connect-timeout 10 "https://github.com/etcd-io/etcd/releases/download/$ETCD_VERSION/etcd-$ETCD_VERSION-$os-$arch.tar.gz" |
    tar -xz -C "$BIN_DIR" --strip-components=1 "etcd-$ETCD_VERSION-$os-$arch/etcd" || return 1
  curl -fsSL --connect-timeout 10 "https://get.helm.sh/helm-$HELM_VERSION-$os-$arch.tar.gz" |
    tar -xz -C "$HELM_DIR" --strip-components=1 "$os-$arch/helm" || return 1
}

provision_binaries() {
  all_present && return 0
  build_from_go_modules || log "the Go module build did not work; trying the release downloads"
  all_present && return 0
  download_releases || true
  all_present || die "could not provision etcd, kube-apiserver, kube-controller-manager, kubectl and helm (see above)"
}

# ---------------------------------------------------------------- control plane

KUBECONFIG_FILE=$STATE_DIR/kubeconfig
PKI=$STATE_DIR/pki
LOGS=$STATE_DIR/logs

# The control plane's own certificates (not the operator's business): a CA, the API server's
# serving certificate, admin and controller-manager client certificates, the service-account key.
make_control_plane_pki() {
  [ -f "$PKI/sa.key" ] && return 0
  mkdir -p "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -subj "/CN=arraypki-local-control-plane-ca" -keyout ca.key -out ca.crt 2>/dev/null
    issue() { # name subject [extensions]
      openssl req -newkey rsa:2048 -nodes -subj "$2" \
        -keyout "$1.key" -out "$1.csr" 2>/dev/null
      printf '%s\n' "${3:-extendedKeyUsage=clientAuth}" > "$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    issue apiserver "/CN=kube-apiserver" \
      "$(printf 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1')"
    issue admin "/O=system:masters/CN=arraypki-admin"
    issue controller-manager "/CN=system:kube-controller-manager"
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
  )
}

write_kubeconfig() { # file cert-name
  cat > "$1" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: arraypki-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority: $PKI/ca.crt
users:
- name: $2
  user:
    client-certificate: $PKI/$2.crt
    client-key: $PKI/$2.key
contexts:
- name: arraypki-local
  context: {cluster: arraypki-local, user: $2, namespace: default}
current-context: arraypki-local
KUBECONFIG
}

pid_alive() { [ -f "$STATE_DIR/$1.pid" ] && kill -0 "$(cat "$STATE_DIR/$1.pid")" 2>/dev/null; }

start_process() { # name command...
  local name=$1; shift
  pid_alive "$name" && return 0
  mkdir -p "$LOGS"
  # setsid: the control plane outlives the shell (and the test JVM) that started it.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE_DIR/$name.pid"
}

stop_process() {
  local name=$1 pid i
  pid_alive "$name" || { rm -f "$STATE_DIR/$name.pid"; return 0; }
  pid=$(cat "$STATE_DIR/$name.pid")
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$STATE_DIR/$name.pid"
}

wait_for() { # description seconds command...
  local what=$1 seconds=$2 i; shift 2
  for i in $(seq 1 $((seconds * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "$what did not come up in ${seconds}s (logs in $LOGS)"
}

start_etcd() {
  start_process etcd "$(bin_path etcd)" \
    --name arraypki-local --data-dir "$STATE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "arraypki-local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes=8589934592 --log-level=warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  start_process kube-apiserver "$(bin_path kube-apiserver)" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --endpoint-reconciler-type none \
    --service-cluster-ip-range 10.0.0.0/24 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --authorization-mode RBAC \
    --audit-policy-file "$STATE_DIR/audit-policy.yaml" --audit-log-path "$LOGS/audit.log" \
    --audit-log-maxsize 200 --audit-log-maxbackup 1 \
    --max-requests-inflight 800 --max-mutating-requests-inflight 400 \
    --v 0
  wait_for kube-apiserver 90 "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz
}

start_controller_manager() {
  start_process kube-controller-manager "$(bin_path kube-controller-manager)" \
    --kubeconfig "$STATE_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$STATE_DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$STATE_DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 0 \
    --controllers garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller --use-service-account-credentials=true \
    --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
    --leader-elect=false --v 0
}

# Writes only (create/update/patch/delete) of everything but events and leases, so that the
# benchmark can count what the operator wrote.
# Every write is logged (the benchmark counts them); Events and the arraypki.io objects with their
# request bodies, so that the secrets-hygiene audit can read every Event and status ever written;
# every request of the operator run under the chart's ServiceAccount (e2e/operator-as-serviceaccount.sh),
# watches from their start, so that a test can show each rule of its ClusterRole is used.
write_audit_policy() {
  local policy="$STATE_DIR/audit-policy.yaml" new
  new=$(cat <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, Panic]
rules:
- level: Request
  verbs: [create, update, patch]
  resources: [{group: "", resources: [events]}, {group: events.k8s.io, resources: [events]}, {group: arraypki.io}]
- level: Metadata
  users: ["system:serviceaccount:arraypki-least-privilege:arraypki-operator"]
- level: None
  resources: [{group: coordination.k8s.io, resources: [leases]}]
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
  omitStages: [ResponseStarted]
- level: None
POLICY
)
  if [ -f "$policy" ] && [ "$(cat "$policy")" != "$new" ] && pid_alive kube-apiserver; then
    log "audit policy changed: restarting kube-apiserver"
    printf '%s\n' "$new" > "$policy"
    stop_process kube-apiserver
    return
  fi
  printf '%s\n' "$new" > "$policy"
}

# The field manager is Fabric8's default because the Java tests (JOSDK's LocallyRunOperatorExtension)
# apply the same files through Fabric8 without forcing: one owner, so no apply ever conflicts.
install_crds() {
  "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" apply --server-side --force-conflicts \
    --field-manager fabric8 -f "$ROOT/crds/" >/dev/null
  "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" wait --for condition=Established --timeout 60s \
    crd/clusterarrays.arraypki.io crd/nodes.arraypki.io crd/candidatemaps.arraypki.io >/dev/null
}

up() {
  provision_binaries
  mkdir -p "$STATE_DIR"
  make_control_plane_pki
  write_kubeconfig "$KUBECONFIG_FILE" admin
  write_kubeconfig "$STATE_DIR/controller-manager.kubeconfig" controller-manager
  write_audit_policy
  start_etcd
  start_apiserver
  start_controller_manager
  install_crds
  log "up: kube-apiserver https://127.0.0.1:$APISERVER_PORT (Kubernetes $KUBE_VERSION); kubeconfig $KUBECONFIG_FILE"
}

down() {
  stop_process kube-controller-manager
  stop_process kube-apiserver
  stop_process etcd
  if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE_DIR"; fi
  log "down"
}

status() {
  local p
  for p in etcd kube-apiserver kube-controller-manager; do
    if pid_alive "$p"; then echo "$p: running (pid $(cat "$STATE_DIR/$p.pid"))"; else echo "$p: stopped"; fi
  done
  all_present && echo "binaries: $BIN_DIR, $HELM_DIR" || echo "binaries: not provisioned"
  echo "kubeconfig: $KUBECONFIG_FILE"
}

env_cmd() {
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
  echo "export PATH=$(dirname "$(bin_path kubectl)"):$(dirname "$(bin_path helm)"):\$PATH"
}

case "${1:-}" in
  up) up ;;
  down) shift; down "$@" ;;
  env) env_cmd ;;
  status) status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  binaries) provision_binaries; echo "$BIN_DIR $HELM_DIR" ;;
  restart-apiserver) stop_process kube-apiserver; start_apiserver ;;
  restart-etcd) stop_process etcd; start_etcd; wait_for kube-apiserver 90 "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
