#!/usr/bin/env bash
# The ecosystem's own tools, built once from their upstream Go modules (through the Go module
# proxy, like the Kubernetes binaries of local-cluster.sh) and cached under ~/.cache/arraypki:
#
#   e2e/tools.sh promtool            path of promtool (Prometheus), built if missing
#   e2e/tools.sh trust-manager       path of trust-manager, built if missing
#   e2e/tools.sh trust-manager-crds  path of trust-manager's Bundle CRD (from its module)
#   e2e/tools.sh cert-manager-crds   paths of cert-manager's CertificateRequest and Certificate CRDs
#                                    (from its module: its controller is not served, its CRDs are)
#   e2e/tools.sh prometheus-operator-crds  paths of the Prometheus Operator's ServiceMonitor and
#                                    PrometheusRule CRDs (from its module)
#   e2e/tools.sh all                 build both; print their paths
#
# Used by the tests of the chart's alerts (promtool test rules), of the trust-manager Bundle that
# distributes an array's CA, and of the cert-manager issuer. Nothing here is part of the operator.
set -euo pipefail

CERT_MANAGER_VERSION=v1.21.2
PROMETHEUS_OPERATOR_VERSION=v0.85.0   # the newest root module the proxy serves (its CRDs, not its code)
PROMETHEUS_VERSION=v0.316.0     # Prometheus 3.x's Go module; promtool is its cmd/promtool
TRUST_MANAGER_VERSION=v0.25.0

ARRAYPKI_CACHE=${ARRAYPKI_CACHE:-$HOME/.cache/arraypki}
BIN=$ARRAYPKI_CACHE/bin
SRC=$ARRAYPKI_CACHE/go/src

log() { echo "tools: $*" >&2; }

# shellcheck source=e2e/go-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"

# build NAME MODULE VERSION PACKAGE LDFLAGS -> prints the binary's path
build() {
  local name=$1 module=$2 version=$3 package=$4 ldflags=$5
  local dir=$BIN/$name-$version
  if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  command -v go >/dev/null || { log "Go is needed to build $name"; exit 1; }
  go_env
  log "building $name $version from its Go module (first time only)"
  mkdir -p "$SRC/$name" "$dir.tmp"
  (cd "$SRC/$name" &&
    printf 'module local.arraypki/%s-binary\ngo 1.26\n' "$name" > go.mod && rm -f go.sum &&
    go get "$package@$version" >/dev/null 2>&1 &&
    go build -trimpath -ldflags "-s -w $ldflags" -o "$dir.tmp/$name" "$package") >&2
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  echo "$dir/$name"
}

promtool() {
  build promtool github.com/prometheus/prometheus "$PROMETHEUS_VERSION" \
    github.com/prometheus/prometheus/cmd/promtool \
    "-X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION#v0.}"
}

trust_manager() {
  build trust-manager github.com/cert-manager/trust-manager "$TRUST_MANAGER_VERSION" \
    github.com/cert-manager/trust-manager/cmd/trust-manager ""
}

trust_manager_crds() {
  echo "$(module_dir github.com/cert-manager/trust-manager "$TRUST_MANAGER_VERSION")/deploy/crds/trust.cert-manager.io_bundles.yaml"
}

module_dir() { # module version -> its directory in the module cache, downloaded if missing
  go_env
  local dir=$GOMODCACHE/$1@$2
  if [ ! -d "$dir" ]; then
    mkdir -p "$SRC/module-download"
    (cd "$SRC/module-download" && printf 'module local.arraypki/download\ngo 1.26\n' > go.mod &&
      go mod download "$1@$2") >&2
  fi
  echo "$dir"
}

cert_manager_crds() {
  local dir
  dir=$(module_dir github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION")/deploy/crds
  echo "$dir/cert-manager.io_certificaterequests.yaml"
  echo "$dir/cert-manager.io_certificates.yaml"
}

prometheus_operator_crds() {
  local dir
  dir=$(module_dir github.com/prometheus-operator/prometheus-operator "$PROMETHEUS_OPERATOR_VERSION")/example/prometheus-operator-crd
  echo "$dir/monitoring.coreos.com_servicemonitors.yaml"
  echo "$dir/monitoring.coreos.com_prometheusrules.yaml"
}

case "${1:-}" in
  promtool) promtool ;;
  trust-manager) trust_manager ;;
  trust-manager-crds) trust_manager_crds ;;
  cert-manager-crds) cert_manager_crds ;;
  prometheus-operator-crds) prometheus_operator_crds ;;
  all) trust_manager; promtool ;;
  *) echo "usage: $0 promtool|trust-manager|trust-manager-crds|cert-manager-crds|prometheus-operator-crds|all" >&2; exit 2 ;;
esac
