#!/usr/bin/env bash
# The operator as users run it: a pod of the Helm chart on the local cluster's worker node, from
# the image built locally (e2e/images.sh, imported into the node's containerd), under the chart's
# ServiceAccount, with the in-cluster config, leader election in the release namespace, a
# read-only root filesystem and its probes. The deployed end-to-end suite runs against it.
#   e2e/operator-pod.sh start     (after ./mvnw package; Maven's pre-integration-test)
#   e2e/operator-pod.sh stop      (Maven's post-integration-test): keeps the pods' logs and /tmp
#   e2e/operator-pod.sh upgrade TAG   roll the release to another image tag (built on the spot)
#   e2e/operator-pod.sh logs      print the operator pods' logs
# REPLICAS (default 2) sets the number of operator pods.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NS=arraypki-least-privilege     # the audit log tells this ServiceAccount's requests apart
RELEASE=arraypki-operator
STATE=$ROOT/target/least-privilege
VALUES=$ROOT/e2e/operator-pod-values.yaml
mkdir -p "$STATE"

e2e/local-cluster.sh up >/dev/null
eval "$(e2e/local-cluster.sh env)"
KUBELET_PODS=$(dirname "$(e2e/local-cluster.sh kubeconfig)")/node/kubelet/pods
POD_LOGS=$(dirname "$(e2e/local-cluster.sh kubeconfig)")/node/pod-logs

log() { echo "operator-pod: $*" >&2; }

image_args() { # tag
  local ref
  ref=$(e2e/images.sh ref operator)
  echo "--set" "image.repository=${ref%:*}" "--set" "image.tag=$1"
}

install() { # tag
  # the member images too: the member pods' tests run the member daemon and the non-Java member
  e2e/images.sh build operator member plain-member --tag "$1" >&2
  e2e/images.sh import operator member plain-member --tag "$1" >&2
  # shellcheck disable=SC2046
  helm upgrade --install "$RELEASE" charts/arraypki-operator --namespace "$NS" --create-namespace --set crds.enabled=false \
    -f "$VALUES" --set replicas="${REPLICAS:-2}" $(image_args "$1") --wait --timeout 5m >/dev/null
  kubectl rollout status "deployment/$RELEASE" --namespace "$NS" --timeout 5m >/dev/null
}

# Every operator pod's log (the current and, after a restart, the previous container, as
# kubectl shows them, then every file the kubelet keeps for the pod: rotated ones too, which
# kubectl logs never shows) and what it left in its /tmp emptyDir, for the secrets-hygiene audit.
collect() {
  local pod uid file
  : > "$STATE/operator.log"
  for pod in $(kubectl get pods -n "$NS" -l app.kubernetes.io/name=arraypki-operator -o name 2>/dev/null); do
    { echo "=== $pod"; kubectl logs -n "$NS" "$pod" --previous 2>/dev/null || true; kubectl logs -n "$NS" "$pod" 2>/dev/null || true; } \
      >> "$STATE/operator.log"
    uid=$(kubectl get -n "$NS" "$pod" -o jsonpath='{.metadata.uid}' 2>/dev/null || true)
    for file in "$POD_LOGS/${NS}_${pod#pod/}_$uid"/*/*; do
      [ -f "$file" ] || continue
      echo "=== $pod: kubelet's ${file#"$POD_LOGS/"}" >> "$STATE/operator.log"
      case "$file" in
        *.gz) zcat "$file" >> "$STATE/operator.log" 2>/dev/null || true ;;
        *) cat "$file" >> "$STATE/operator.log" ;;
      esac
    done
    if [ -n "$uid" ] && [ -d "$KUBELET_PODS/$uid/volumes/kubernetes.io~empty-dir/tmp" ]; then
      mkdir -p "$STATE/tmp/${pod#pod/}"
      cp -a "$KUBELET_PODS/$uid/volumes/kubernetes.io~empty-dir/tmp/." "$STATE/tmp/${pod#pod/}/" 2>/dev/null || true
    fi
  done
}

case "${1:-}" in
  start)
    helm uninstall "$RELEASE" --namespace "$NS" --ignore-not-found --wait >/dev/null
    kubectl wait --for=delete "namespace/$NS" --timeout=180s >/dev/null 2>&1 || true
    rm -rf "$STATE/tmp" && mkdir -p "$STATE/tmp"
    date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE/started-at" # the audit of this run starts here
    # cert-manager's CRDs before the operator starts (it looks for them once, at start): the
    # deployed suite drives CertificateRequests as cert-manager's controller would
    for crd in $(e2e/tools.sh cert-manager-crds); do kubectl apply --server-side -f "$crd" >/dev/null; done
    kubectl wait --for=condition=Established --timeout=60s crd/certificaterequests.cert-manager.io \
      crd/certificates.cert-manager.io >/dev/null
    install dev
    log "operator running as $(kubectl get pods -n "$NS" -l app.kubernetes.io/name=arraypki-operator --no-headers | wc -l) pod(s) of release $RELEASE in $NS"
    ;;
  upgrade)
    install "${2:?usage: operator-pod.sh upgrade TAG}"
    ;;
  logs)
    collect
    cat "$STATE/operator.log"
    ;;
  stop)
    collect
    # The pods first, while their Role still exists: an operator that stops releases its Lease
    # (a patch), and helm uninstall deletes the Role without waiting for the pods to be gone.
    kubectl scale "deployment/$RELEASE" --namespace "$NS" --replicas 0 >/dev/null 2>&1 || true
    kubectl wait --for=delete pod --namespace "$NS" -l app.kubernetes.io/name=arraypki-operator \
      --timeout 90s >/dev/null 2>&1 || true
    helm uninstall "$RELEASE" --namespace "$NS" --ignore-not-found --wait >/dev/null || true
    kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null || true
    # cert-manager's CRDs go with the release: the in-process phase of the next run starts without
    # them (CertManagerIssuerOffTest), as on a cluster without cert-manager
    for crd in $(e2e/tools.sh cert-manager-crds); do kubectl delete --ignore-not-found --wait=false -f "$crd" >/dev/null || true; done
    # the forbidden requests the operator met, for the record (there should be none; writes into
    # a test's namespace while it is being deleted are refused as 403 NamespaceTerminating too)
    grep -v NamespaceTerminating "$STATE/operator.log" | grep -c " 403 \|Forbidden\|forbidden" \
      > "$STATE/forbidden.count" || true
    ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
