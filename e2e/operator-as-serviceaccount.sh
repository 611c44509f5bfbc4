#!/usr/bin/env bash
# Run the operator on the local control plane with exactly the chart's permissions: helm installs
# the chart (replicas 0: the local control plane has no kubelet to run the pod), a token is minted
# for the chart's ServiceAccount, and the built jar runs as a local process with only that token.
#   e2e/operator-as-serviceaccount.sh start   (after ./mvnw package; Maven's pre-integration-test)
#   e2e/operator-as-serviceaccount.sh stop    (Maven's post-integration-test)
# Between the two, the end-to-end suite runs against it with -Darraypki.operator=deployed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
NS=arraypki-least-privilege
RELEASE=arraypki-operator
STATE=$ROOT/target/least-privilege
PORT=${LEAST_PRIVILEGE_HTTP_PORT:-18089}
mkdir -p "$STATE"

stop_operator() {
  local pid i
  if [ -f "$STATE/operator.pid" ] && pid=$(cat "$STATE/operator.pid") && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/operator.pid"
}

e2e/local-cluster.sh up >/dev/null
eval "$(e2e/local-cluster.sh env)"

case "${1:-}" in
  start)
    stop_operator
    rm -rf "$STATE/tmp" && mkdir -p "$STATE/tmp" # the secrets-hygiene audit reads what it leaves here
    helm uninstall "$RELEASE" --namespace "$NS" --ignore-not-found --wait >/dev/null
    kubectl wait --for=delete "namespace/$NS" --timeout=180s >/dev/null 2>&1 || true
    helm install "$RELEASE" charts/arraypki-operator --namespace "$NS" --create-namespace --set crds.enabled=false \
      --set replicas=0 >/dev/null
    token=$(kubectl create token "$RELEASE" --namespace "$NS" --duration 3h)
    server=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
    kubectl config view --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' \
      | base64 -d > "$STATE/ca.crt"
    export KUBECONFIG=$STATE/kubeconfig
    rm -f "$KUBECONFIG"
    kubectl config set-cluster local --server "$server" --certificate-authority "$STATE/ca.crt" --embed-certs >/dev/null
    kubectl config set-credentials "$RELEASE" --token "$token" >/dev/null
    kubectl config set-context "$RELEASE" --cluster local --user "$RELEASE" --namespace "$NS" >/dev/null
    kubectl config use-context "$RELEASE" >/dev/null
    date -u +%Y-%m-%dT%H:%M:%SZ > "$STATE/started-at" # the audit of this run starts here
    # timeout: a Maven run cut short must not leave an operator behind that watches every namespace
    LEADER_ELECTION=${ARRAYPKI_LEADER_ELECTION:-true} LEADER_ELECTION_NAMESPACE=$NS HTTP_PORT=$PORT LOG_FORMAT=text \
      setsid timeout --signal=KILL 3h java ${OPERATOR_JAVA_OPTS:-} -Djava.io.tmpdir="$STATE/tmp" \
      -jar target/arraypki-operator.jar > "$STATE/operator.log" 2>&1 < /dev/null &
    echo $! > "$STATE/operator.pid"
    for _ in $(seq 1 120); do
      if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
        echo "least-privilege: operator running as system:serviceaccount:$NS:$RELEASE (log: $STATE/operator.log)"
        exit 0
      fi
      kill -0 "$(cat "$STATE/operator.pid")" 2>/dev/null || break
      sleep 0.5
    done
    echo "least-privilege: the operator did not become ready; its log:" >&2
    tail -50 "$STATE/operator.log" >&2
    stop_operator
    exit 1
    ;;
  stop)
    stop_operator
    helm uninstall "$RELEASE" --namespace "$NS" --ignore-not-found --wait >/dev/null || true
    kubectl delete namespace "$NS" --ignore-not-found --wait=false >/dev/null || true
    # the forbidden requests the operator met, for the record (there should be none)
    grep -c " 403 \|Forbidden\|forbidden" "$STATE/operator.log" > "$STATE/forbidden.count" || true
    ;;
  *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
