#!/usr/bin/env bash
# The end-to-end suite against the operator as users run it: in a pod of a Kind cluster, installed
# with the Helm chart, under the chart's ServiceAccount and roles.
#   e2e/kind/run.sh            create the cluster, build and load the image, helm install, run the
#                              suite, collect logs into target/kind/, delete the cluster
#   KEEP_CLUSTER=1 e2e/kind/run.sh   ... and leave the cluster (kind delete cluster --name arraypki-e2e)
# Needs a Docker engine (a CI runner has one), Go (to build Kind if it is not on PATH) and Java 17.
# kubectl and helm are the pinned versions e2e/local-cluster.sh provides.
#
# The suite is the test command's own end-to-end tests with -Darraypki.operator=deployed: each test
# class gets a namespace and drives the deployed operator. Left out are the tests that stop or
# kill the operator in the test JVM or read its meters (tag in-process-operator) and the install
# test that installs a second operator (tag installs-operator): this script's helm install is that
# install.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
CLUSTER=${KIND_CLUSTER_NAME:-arraypki-e2e}
KIND_VERSION=v0.30.0
IMAGE=arraypki-operator:e2e
RELEASE_NS=arraypki-system
OUT=$ROOT/target/kind
CACHE=${ARRAYPKI_CACHE:-$HOME/.cache/arraypki}
mkdir -p "$OUT" "$CACHE/bin"

command -v docker >/dev/null && docker info >/dev/null 2>&1 || {
  echo "kind: a running Docker engine is needed (docker info failed)" >&2
  exit 1
}

# kubectl and helm of the pinned versions (downloaded or built once, cached)
read -r K8S_BIN HELM_BIN < <(e2e/local-cluster.sh binaries | tail -1)
export PATH="$K8S_BIN:$HELM_BIN:$CACHE/bin:$PATH"
if ! kind version 2>/dev/null | grep -q "$KIND_VERSION"; then
  echo "kind: building Kind $KIND_VERSION from the Go module proxy"
  GOBIN="$CACHE/bin" go install "sigs.k8s.io/kind@$KIND_VERSION"
fi

collect() {
  kubectl -n "$RELEASE_NS" logs deployment/arraypki-operator --all-containers --tail=-1 \
    > "$OUT/operator.log" 2>&1 || true
  kubectl get events -A --sort-by=.lastTimestamp > "$OUT/events.txt" 2>&1 || true
  if [ "${KEEP_CLUSTER:-0}" != 1 ]; then kind delete cluster --name "$CLUSTER" || true; fi
}

kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true
kind create cluster --name "$CLUSTER" --config e2e/kind/cluster.yaml --kubeconfig "$OUT/kubeconfig" --wait 180s
export KUBECONFIG=$OUT/kubeconfig
trap collect EXIT

echo "kind: building the jar and the image $IMAGE"
./mvnw -B -q -DskipTests package
docker build -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

echo "kind: helm install"
helm install arraypki-operator charts/arraypki-operator --namespace "$RELEASE_NS" --create-namespace \
  --values e2e/kind/values.yaml --wait --timeout 5m
kubectl -n "$RELEASE_NS" rollout status deployment/arraypki-operator --timeout=180s

echo "kind: running the end-to-end suite against the deployed operator"
./mvnw -B test -Darraypki.operator=deployed -Darraypki.kubeconfig="$KUBECONFIG" -Dtest='io.arraypki.operator.e2e.*Test' \
  -DexcludedGroups=in-process-operator,installs-operator -Dsurefire.failIfNoSpecifiedTests=false
