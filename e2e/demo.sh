#!/usr/bin/env bash
# Try arraypki-operator on a local cluster with a real worker node:
#   e2e/demo.sh        bring up the cluster (control plane + a kubelet with containerd), build the
#                      operator and its images, helm install the operator as a pod, apply
#                      deploy/examples/, start a member pod per node (deploy/examples/member-pods/),
#                      and show the pods, the array, every certificate verified by openssl and a
#                      live mutual-TLS call between two member pods
#   e2e/demo.sh stop   uninstall, and stop the cluster
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
RELEASE=arraypki-operator
OPERATOR_NS=arraypki-system

if [ "${1:-}" = stop ]; then
  if grep -q '^kube-apiserver: running' <<<"$(e2e/local-cluster.sh status)"; then
    eval "$(e2e/local-cluster.sh env)"
    # the namespace goes first, while the operator still runs, so that no event of it reaches a
    # later demo's operator (nothing holds it: Nodes carry no finalizer)
    kubectl delete namespace arraypki-demo --ignore-not-found --timeout=120s >/dev/null || true
    helm uninstall "$RELEASE" -n "$OPERATOR_NS" --ignore-not-found >/dev/null || true
  fi
  e2e/local-cluster.sh down
  exit 0
fi

e2e/local-cluster.sh up
eval "$(e2e/local-cluster.sh env)"

echo "demo: building the operator and its images"
./mvnw -B -q -DskipTests package
e2e/images.sh build operator member
e2e/images.sh import operator member

echo "demo: helm install the operator (a pod on the local node, watching arraypki-demo)"
image=$(e2e/images.sh ref operator)
helm upgrade --install "$RELEASE" charts/arraypki-operator -n "$OPERATOR_NS" --create-namespace --set crds.enabled=false \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --set operator.watchNamespaces=arraypki-demo --set operator.logFormat=text --wait --timeout 5m >/dev/null

kubectl apply -f deploy/examples/
echo "demo: waiting for the array to be Ready"
kubectl wait --for=condition=Ready --timeout=180s -n arraypki-demo clusterarray/sgd
kubectl apply -f deploy/examples/member-pods/ >/dev/null
echo "demo: waiting for the member pods"
kubectl wait --for=condition=Ready --timeout=180s -n arraypki-demo pod -l arraypki.io/member-of=sgd >/dev/null
echo "demo: waiting for every member to confirm what it loaded (its Lease <node>-trust)"
kubectl wait --for=jsonpath='{.status.trust.state}'=Current --timeout=120s -n arraypki-demo anode --all >/dev/null

echo
kubectl get pods -n "$OPERATOR_NS"
echo
kubectl get pods,arraypki -n arraypki-demo
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

echo
echo "demo: a live mutual-TLS call between member pods (from member-node-a's log):"
for _ in $(seq 1 60); do
  line=$(kubectl logs -n arraypki-demo member-node-a 2>/dev/null | grep -m1 'mutual TLS call to' || true)
  [ -n "$line" ] && break
  sleep 1
done
echo "  ${line:-(none yet: kubectl logs -n arraypki-demo member-node-a)}"
cat <<TXT

The array is Ready and its members call each other. To reach the cluster:
  eval "\$(e2e/local-cluster.sh env)"
  kubectl get pods,arraypki -n arraypki-demo
  kubectl logs -n arraypki-demo member-node-b
  kubectl describe clusterarray sgd -n arraypki-demo
Stop everything with: e2e/demo.sh stop
TXT
