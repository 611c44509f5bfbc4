#!/usr/bin/env bash
# Try arraypki-operator on a local control plane:
#   e2e/demo.sh        bring up the control plane, build and start the operator, apply
#                      deploy/examples/, wait for the array to be Ready and show it
#   e2e/demo.sh stop   stop the operator and the control plane
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
STATE=${ARRAYPKI_CACHE:-$HOME/.cache/arraypki}/demo
mkdir -p "$STATE"

stop_operator() {
  local pid i
  if [ -f "$STATE/operator.pid" ] && pid=$(cat "$STATE/operator.pid") && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true # a shutdown that hangs must not leave a second operator running
  fi
  rm -f "$STATE/operator.pid"
}

if [ "${1:-}" = stop ]; then
  stop_operator
  e2e/local-cluster.sh down
  exit 0
fi

e2e/local-cluster.sh up
eval "$(e2e/local-cluster.sh env)"

echo "demo: building the operator"
./mvnw -B -q -DskipTests package

stop_operator
echo "demo: starting the operator (log: $STATE/operator.log)"
# setsid: the operator keeps running after this script ends; `e2e/demo.sh stop` stops it.
LEADER_ELECTION_NAMESPACE=default HTTP_PORT=${HTTP_PORT:-8080} \
  setsid java -jar target/arraypki-operator.jar > "$STATE/operator.log" 2>&1 < /dev/null &
echo $! > "$STATE/operator.pid"

kubectl apply -f deploy/examples/
echo "demo: waiting for the array to be Ready"
kubectl wait --for=condition=Ready --timeout=180s -n arraypki-demo clusterarray/sgd

echo
kubectl get arraypki -n arraypki-demo
echo
echo "CA fingerprint: $(kubectl get clusterarray sgd -n arraypki-demo -o jsonpath='{.status.ca.fingerprint}')"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for node in $(kubectl get anodes -n arraypki-demo -o jsonpath='{.items[*].metadata.name}'); do
  kubectl get secret "$node-peer-tls" -n arraypki-demo -o jsonpath='{.data.ca\.crt}' | base64 -d > "$tmp/ca.crt"
  kubectl get secret "$node-peer-tls" -n arraypki-demo -o jsonpath='{.data.tls\.crt}' | base64 -d > "$tmp/tls.crt"
  printf '%s: ' "$node"
  openssl verify -CAfile "$tmp/ca.crt" "$tmp/tls.crt" | sed "s|$tmp/tls.crt: ||"
done
cat <<TXT

The array is Ready. To reach the cluster:
  eval "\$(e2e/local-cluster.sh env)"
  kubectl get arraypki -n arraypki-demo
  kubectl describe clusterarray sgd -n arraypki-demo
Stop everything with: e2e/demo.sh stop
TXT
