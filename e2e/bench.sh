#!/usr/bin/env bash
# The benchmark (issue and re-sign at the speed of the API server), on the local control plane:
#   e2e/bench.sh --nodes N     floor, issue, resign, writes per member, steady writes, heap and RSS;
#                              prints one "bench: ..." line and writes target/bench/results.json
#   e2e/bench.sh --jmh         JMH: key generation and signing per algorithm, Bouncy Castle vs the
#                              JDK's providers (target/bench/jmh.txt)
# Options: --threads T (the floor's concurrency; default 16, the operator's RECONCILE_THREADS),
# --unrelated U (unrelated Secrets and ConfigMaps in the cluster; default 10000),
# --steady-seconds S (the quiet period; default 120), --warmup-nodes W (an unmeasured array of W
# members issued and re-signed first, so that the measured operator is warm; default 200, 0 = cold).
# The operator runs as the packaged jar under the chart's ServiceAccount
# (e2e/operator-as-serviceaccount.sh), so the API server's audit log tells its writes apart.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

nodes=100 threads=16 unrelated=10000 steady=120 warmup=200 jmh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --unrelated) unrelated=$2; shift 2 ;;
    --steady-seconds) steady=$2; shift 2 ;;
    --warmup-nodes) warmup=$2; shift 2 ;;
    --jmh) jmh=1; shift ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done

mkdir -p target/bench
./mvnw -B -q -DskipTests package
classpath="target/test-classes:target/classes:$(./mvnw -B -q dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=/dev/stdout)"

if [ "$jmh" = 1 ]; then
  # shorter: JMH_OPTS="-wi 1 -i 2 -w 1s -r 1s" e2e/bench.sh --jmh
  java -cp "$classpath" org.openjdk.jmh.Main KeysAndSignaturesBenchmark ${JMH_OPTS:-} -rf json -rff target/bench/jmh.json \
    | tee target/bench/jmh.txt
  exit 0
fi

e2e/local-cluster.sh up
eval "$(e2e/local-cluster.sh env)"
audit_logs=$(dirname "$KUBECONFIG")/logs
# The operator's settings for the run: no leader election (its Lease renewals would be the only
# writes of a quiet period), a fixed port for /metrics.
export ARRAYPKI_LEADER_ELECTION=false
java -cp "$classpath" io.arraypki.operator.bench.ClusterBench --project "$ROOT" --audit-logs "$audit_logs" \
  --nodes "$nodes" --threads "$threads" --unrelated "$unrelated" --steady-seconds "$steady" --warmup-nodes "$warmup" \
  --out target/bench/results.json
