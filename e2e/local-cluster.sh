#!/usr/bin/env bash
# A real Kubernetes cluster on this machine: etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler on loopback, and one worker node
# (a kubelet with containerd, runc and a bridge CNI network), plus kubectl and
# helm, all of one pinned Kubernetes version. Used by the demo, the tests and
# the benchmark alike.
#
#   e2e/local-cluster.sh up       provision binaries and packages (once), start, install crds/
#   e2e/local-cluster.sh down     stop everything, unmount and remove what the node set up (keeps the cache)
#   e2e/local-cluster.sh env      print `export KUBECONFIG=...` and a PATH with kubectl and helm
#   e2e/local-cluster.sh status   say what runs
#   e2e/local-cluster.sh binaries provision the binaries only
#   e2e/local-cluster.sh restart-apiserver | restart-etcd   (fault tests)
#
# Binaries come from, in order: the environment (ETCD_BIN, KUBE_APISERVER_BIN,
# KUBE_CONTROLLER_MANAGER_BIN, KUBE_SCHEDULER_BIN, KUBELET_BIN, KUBECTL_BIN, HELM_BIN), the cache under
# ~/.cache/arraypki, a build from the upstream Go modules with the machine's
# Go toolchain (through the Go module proxy), the official release downloads.
# containerd, runc, the CNI plugins and iptables come from Debian's packages
# (installed when missing). ARRAYPKI_NODE=0 starts the control plane alone.
# The kubelet runs with its defaults where they matter to the product
# (syncFrequency 1m, Watch): ARRAYPKI_KUBELET_SYNC_FREQUENCY overrides it.
set -euo pipefail

KUBE_VERSION=v1.34.4          # kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl
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
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl helm; do
    [ -x "$(bin_path "$b")" ] || return 1
  done
}

# shellcheck source=e2e/go-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"

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
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubelet \
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
  for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
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
  all_present || die "could not provision etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl and helm (see above)"
}

# ---------------------------------------------------------------- control plane

KUBECONFIG_FILE=$STATE_DIR/kubeconfig
PKI=$STATE_DIR/pki
LOGS=$STATE_DIR/logs

# The cluster's own certificates (not the operator's business): a CA, the API server's serving
# certificate, client certificates of the admin, the controllers, the scheduler, the kubelet
# (system:node:<node>) and of the API server towards the kubelet, the kubelet's serving
# certificate and the service-account key. Each is made once; a missing one is made alone.
NODE_NAME=arraypki-worker
POD_SUBNET=10.244.0.0/24
NODE_IP=10.244.0.1            # the node's bridge; the kubelet listens here, never on 0.0.0.0
BRIDGE=arraypki0

issue_certificate() { # name subject [extensions]
  [ -f "$PKI/$1.crt" ] && return 0
  (
    cd "$PKI"
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    printf '%s\n' "${3:-extendedKeyUsage=clientAuth}" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
    chmod 600 "$1.key"
  )
}

make_control_plane_pki() {
  mkdir -p "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -subj "/CN=arraypki-local-control-plane-ca" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
    chmod 600 "$PKI/ca.key"
  fi
  issue_certificate apiserver "/CN=kube-apiserver" \
    "$(printf 'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.0.0.1')"
  issue_certificate admin "/O=system:masters/CN=arraypki-admin"
  issue_certificate controller-manager "/CN=system:kube-controller-manager"
  issue_certificate scheduler "/CN=system:kube-scheduler"
  # The kubelet as the Node authorizer knows it: it may read only what its pods mount.
  issue_certificate kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
  issue_certificate kubelet-serving "/CN=$NODE_NAME" \
    "$(printf 'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s,IP:%s' "$NODE_NAME" "$NODE_IP")"
  # The API server's identity towards the kubelet (logs, exec), bound to system:kubelet-api-admin.
  issue_certificate apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client"
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
    chmod 600 "$PKI/sa.key"
  fi
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
  # A process started by an older version of this script with other flags is restarted.
  if pid_alive "$name"; then
    [ "$(cat "$STATE_DIR/$name.args" 2>/dev/null)" = "$*" ] && return 0
    log "$name: its flags changed, restarting it"
    stop_process "$name"
  fi
  mkdir -p "$LOGS"
  # setsid: the cluster outlives the shell (and the test JVM) that started it.
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE_DIR/$name.pid"
  printf '%s' "$*" > "$STATE_DIR/$name.args"
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
    --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
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
    --controllers garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,node-lifecycle-controller,deployment-controller,replicaset-controller,root-ca-certificate-publisher-controller \
    --use-service-account-credentials=true \
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

# ---------------------------------------------------------------- worker node

NODE_DIR=$STATE_DIR/node
CONTAINERD_SOCK=$NODE_DIR/containerd/containerd.sock
KUBELET_DIR=$NODE_DIR/kubelet
CNI_CONF_DIR=$NODE_DIR/cni/net.d
NODE_PACKAGES="containerd runc containernetworking-plugins iptables"

node_wanted() { [ "${ARRAYPKI_NODE:-1}" != 0 ]; }

# Debian's containerd, runc, CNI plugins and iptables, installed once when missing.
ensure_node_packages() {
  command -v containerd >/dev/null && command -v runc >/dev/null && [ -x /usr/lib/cni/bridge ] &&
    [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ] && command -v iptables >/dev/null && return 0
  [ "$(id -u)" = 0 ] || die "the worker node needs root to install $NODE_PACKAGES (or run with ARRAYPKI_NODE=0)"
  log "installing $NODE_PACKAGES from Debian"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $NODE_PACKAGES >/dev/null
}

# stdin -> file, by a rename of a complete file next to it, and only when the content differs.
replace_if_changed() { # file
  local file=$1 draft
  draft=$(dirname "$(dirname "$file")")/.$(basename "$file").draft
  cat > "$draft"
  if cmp -s "$draft" "$file"; then rm -f "$draft"; else mv -f "$draft" "$file"; fi
}

write_containerd_config() {
  mkdir -p "$NODE_DIR/containerd" "$CNI_CONF_DIR"
  cat > "$NODE_DIR/containerd/config.toml" <<TOML
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  # built locally by e2e/images.sh: no registry is reachable
  sandbox_image = "$(bash "$ROOT/e2e/images.sh" ref pause)"
  # this VM withholds CAP_SYS_RESOURCE: without it runc cannot set oom_score_adj and every sandbox fails
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$CNI_CONF_DIR"
TOML
  # containerd watches this directory and reloads on every change: a file rewritten in place was
  # read half-written (43 "failed to reload cni configuration" in one day's log here), which leaves
  # the node's network not ready if it is the last read. So it is replaced whole, and only when it
  # differs.
  replace_if_changed "$CNI_CONF_DIR/10-arraypki.conflist" <<JSON
{
  "cniVersion": "0.4.0",
  "name": "arraypki",
  "plugins": [{
    "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": {"type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
             "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]], "routes": [{"dst": "0.0.0.0/0"}]}
  }]
}
JSON
}

# The bridge exists before the kubelet so that the kubelet can listen on its address; the CNI
# bridge plugin adopts it. Pods reach the API server's Service address (10.0.0.1:443) through one
# DNAT rule to the loopback API server (instead of kube-proxy); route_localnet lets it through.
setup_node_network() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  local addresses # (no grep -q in a pipe under pipefail: ip would die of SIGPIPE)
  addresses=$(ip addr show dev "$BRIDGE")
  grep -q "inet $NODE_IP/" <<<"$addresses" || ip addr add "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local sysctl_file=$NODE_DIR/sysctl.saved key
  if [ ! -f "$sysctl_file" ]; then # the values before the node changed them, restored by down
    for key in net.ipv4.conf.$BRIDGE.route_localnet vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do
      echo "$key=$(sysctl -n "$key" 2>/dev/null || echo)" >> "$sysctl_file"
    done
  fi
  sysctl -qw "net.ipv4.conf.$BRIDGE.route_localnet=1"
  local rule=(PREROUTING -i "$BRIDGE" -d 10.0.0.1/32 -p tcp --dport 443 -j DNAT --to-destination "127.0.0.1:$APISERVER_PORT")
  iptables -t nat -C "${rule[@]}" 2>/dev/null || iptables -t nat -A "${rule[@]}"
}

teardown_node_network() {
  iptables -t nat -D PREROUTING -i "$BRIDGE" -d 10.0.0.1/32 -p tcp --dport 443 -j DNAT \
    --to-destination "127.0.0.1:$APISERVER_PORT" 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  local line
  if [ -f "$NODE_DIR/sysctl.saved" ]; then
    while IFS= read -r line; do
      case "$line" in *=) ;; net.ipv4.conf.$BRIDGE.*) ;; *) sysctl -qw "$line" 2>/dev/null || true ;; esac
    done < "$NODE_DIR/sysctl.saved"
    rm -f "$NODE_DIR/sysctl.saved"
  fi
}

write_kubelet_config() {
  mkdir -p "$KUBELET_DIR" "$NODE_DIR/pod-logs"
  write_kubeconfig "$NODE_DIR/kubelet.kubeconfig" kubelet
  write_kubeconfig "$STATE_DIR/scheduler.kubeconfig" scheduler
  cat > "$NODE_DIR/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# authenticated and authorized like a production kubelet: client certificates of the cluster CA
# (the API server's own) and SubjectAccessReviews; no anonymous access, no read-only port
address: $NODE_IP
port: 10250
readOnlyPort: 0
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# this machine: cgroup v1 hierarchies, no systemd, no swap accounting
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
podLogsDir: $NODE_DIR/pod-logs
# the defaults, written out: how fast a changed Secret reaches a running pod depends on them
syncFrequency: ${ARRAYPKI_KUBELET_SYNC_FREQUENCY:-1m}
configMapAndSecretChangeDetectionStrategy: Watch
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
YAML
}

# The API server may use the kubelet's API (logs, exec) as kubeadm allows it: this one role.
grant_apiserver_kubelet_access() {
  "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: arraypki-local:apiserver-kubelet-client}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
YAML
}

node_ready() {
  [ "$("$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

start_node() {
  ensure_node_packages
  write_containerd_config
  setup_node_network
  start_process containerd containerd --config "$NODE_DIR/containerd/config.toml" --log-level warn
  wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
  # The images the node runs are built here (no registry): the pause image is needed by every pod.
  CONTAINERD_ADDRESS=$CONTAINERD_SOCK bash "$ROOT/e2e/images.sh" ensure pause >&2
  start_process kube-scheduler "$(bin_path kube-scheduler)" \
    --kubeconfig "$STATE_DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$STATE_DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig "$STATE_DIR/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false --v 0
  grant_apiserver_kubelet_access
  write_kubelet_config
  start_kubelet
  # One CI run found the node of an earlier `up` not Ready for 120 s after the fault tests had
  # restarted etcd and kube-apiserver (never seen here). What the node said is printed, and the
  # kubelet and containerd are started again once, before giving up.
  if ! wait_quietly 90 node_ready; then
    log "node $NODE_NAME not Ready after 90 s; what it reports:"
    describe_node_readiness
    log "restarting containerd and the kubelet once"
    stop_process kubelet
    stop_process containerd
    start_process containerd containerd --config "$NODE_DIR/containerd/config.toml" --log-level warn
    wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
    start_kubelet
    if ! wait_quietly 120 node_ready; then
      describe_node_readiness
      die "node $NODE_NAME Ready did not come up, even after a restart of containerd and the kubelet (logs in $LOGS)"
    fi
    log "node $NODE_NAME Ready after the restart"
  fi
}

start_kubelet() {
  start_process kubelet "$(bin_path kubelet)" \
    --config "$NODE_DIR/kubelet-config.yaml" --kubeconfig "$NODE_DIR/kubelet.kubeconfig" \
    --root-dir "$KUBELET_DIR" --cert-dir "$KUBELET_DIR/pki" \
    --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 0
}

wait_quietly() { # seconds command... : true once the command succeeds within the time
  local seconds=$1 i; shift
  for i in $(seq 1 $((seconds * 5))); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# The node's conditions and the last lines of the kubelet's and containerd's logs, on stderr.
describe_node_readiness() {
  local process
  for process in containerd kubelet; do
    pid_alive "$process" && log "$process: running" || log "$process: NOT running"
  done
  "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" get node "$NODE_NAME" \
    -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 2>/dev/null || true
  for process in kubelet containerd; do
    log "last lines of $LOGS/$process.log:"
    tail -n 25 "$LOGS/$process.log" 2>/dev/null | cut -c1-400 >&2 || true
  done
}

stop_node() {
  stop_process kubelet
  stop_process kube-scheduler
  # the pods' containers run under containerd's shims, which outlive containerd: stop them first
  if pid_alive containerd; then
    local task
    for task in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true
    done
    for _ in $(seq 1 25); do
      [ -z "$(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  stop_process containerd
  pkill -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null || true
  # what the kubelet (Secret volumes, tmpfs) and containerd (rootfs, shm, netns) mounted, deepest first
  local mounted
  mounted=$(awk -v dir="$NODE_DIR" 'index($2, dir) == 1 {print $2}' /proc/mounts | sort -r)
  [ -n "$mounted" ] && echo "$mounted" | xargs -r -n1 umount -l 2>/dev/null || true
  # the pods' network namespaces, bind-mounted by containerd (/var/run is /run, as /proc/mounts says)
  local netns
  for netns in /run/netns/cni-*; do
    [ -e "$netns" ] || continue
    umount "$netns" 2>/dev/null || true
    rm -f "$netns" 2>/dev/null || log "could not remove $netns"
  done
  # the kubelet's cgroups (cgroupfs driver), leaves first
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/kubepods; do
    [ -d "$hierarchy" ] && find "$hierarchy" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  teardown_node_network
  if pid_alive kube-apiserver; then
    "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" delete node "$NODE_NAME" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  fi
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
  if node_wanted; then
    start_node
    log "up: kube-apiserver https://127.0.0.1:$APISERVER_PORT (Kubernetes $KUBE_VERSION), node $NODE_NAME Ready; kubeconfig $KUBECONFIG_FILE"
  else
    log "up: kube-apiserver https://127.0.0.1:$APISERVER_PORT (Kubernetes $KUBE_VERSION), no node; kubeconfig $KUBECONFIG_FILE"
  fi
}

down() {
  stop_node
  stop_process kube-controller-manager
  stop_process kube-apiserver
  stop_process etcd
  if [ "${1:-}" = "--purge" ]; then rm -rf "$STATE_DIR"; fi
  log "down"
}

status() {
  local p
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet; do
    if pid_alive "$p"; then echo "$p: running (pid $(cat "$STATE_DIR/$p.pid"))"; else echo "$p: stopped"; fi
  done
  if pid_alive kube-apiserver; then
    echo "node: $("$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" get node "$NODE_NAME" --no-headers 2>/dev/null || echo "$NODE_NAME not registered")"
  fi
  echo "containerd: $CONTAINERD_SOCK"
  all_present && echo "binaries: $BIN_DIR, $HELM_DIR" || echo "binaries: not provisioned"
  echo "kubeconfig: $KUBECONFIG_FILE"
}

env_cmd() {
  echo "export KUBECONFIG=$KUBECONFIG_FILE"
  echo "export PATH=$(dirname "$(bin_path kubectl)"):$(dirname "$(bin_path helm)"):\$PATH"
  echo "export CONTAINERD_ADDRESS=$CONTAINERD_SOCK"
}

case "${1:-}" in
  up) up ;;
  down) shift; down "$@" ;;
  env) env_cmd ;;
  status) status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  containerd-address) echo "$CONTAINERD_SOCK" ;;
  binaries) provision_binaries; echo "$BIN_DIR $HELM_DIR" ;;
  restart-apiserver) stop_process kube-apiserver; start_apiserver ;;
  restart-etcd) stop_process etcd; start_etcd; wait_for kube-apiserver 90 "$(bin_path kubectl)" --kubeconfig "$KUBECONFIG_FILE" get --raw /readyz ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
