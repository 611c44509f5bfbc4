#!/usr/bin/env bash
# The benchmark (issue and re-sign at the speed of the API server), on the local control plane:
#   e2e/bench.sh --nodes N     issue and resign floors, issue, resign, writes and CPU per member, steady
#                              writes, heap (per member) and RSS; prints one "bench: ..." line and
#                              writes target/bench/results.json
#   e2e/bench.sh --jmh         JMH: key generation and signing per algorithm, Bouncy Castle vs the
#                              JDK's providers (target/bench/jmh.txt)
# Options: --arrays A (the N members spread evenly over A arrays; default 1),
# --threads T (the floors' and the creates' concurrency; default 16, the operator's RECONCILE_THREADS),
# --unrelated U (unrelated Secrets and ConfigMaps in the cluster; default 10000),
# --steady-seconds S (the quiet period; default 120), --warmup-nodes W (an unmeasured array of W
# members issued and re-signed first, so that the measured operator is warm; default 200, 0 = cold).
# The operator runs as the packaged jar under the chart's ServiceAccount
# (e2e/operator-as-serviceaccount.sh), so the API server's audit log tells its writes apart, with the
# image's JVM flags (the Dockerfile's ENTRYPOINT) and the chart's memory limit as -XX:MaxRAM.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

nodes=100 arrays=1 threads=16 unrelated=10000 steady=120 warmup=200 jmh=0
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes=$2; shift 2 ;;
    --arrays) arrays=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --unrelated) unrelated=$2; shift 2 ;;
    --steady-seconds) steady=$2; shift 2 ;;
    --warmup-nodes) warmup=$2; shift 2 ;;
    --jmh) jmh=1; shift ;;
    *) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
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

# The JVM as a pod runs it: the image's flags (the ENTRYPOINT's elements between "java" and "-jar")
# and the chart's memory limit, which a container's JVM takes for its RAM.
jvm_flags=()
in_flags=0
IFS=',' read -ra entrypoint <<< "$(sed -n 's/^ENTRYPOINT[[:space:]]*\[\(.*\)\][[:space:]]*$/\1/p' Dockerfile)"
for element in "${entrypoint[@]}"; do
  element=$(sed 's/^[[:space:]]*"//; s/"[[:space:]]*$//' <<< "$element")
  case "$element" in
    java|*/java) in_flags=1 ;;
    -jar) break ;;
    *) if [ "$in_flags" = 1 ]; then jvm_flags+=("$element"); fi ;;
  esac
done
memory_limit=$(awk '
  /^[^[:space:]#]/ { in_resources = ($1 == "resources:"); in_limits = 0; next }
  in_resources && /^[[:space:]]+[A-Za-z]+:[[:space:]]*(#.*)?$/ { in_limits = ($1 == "limits:"); next }
  in_resources && in_limits && $1 == "memory:" { gsub(/"/, "", $2); print $2; exit }
' charts/arraypki-operator/values.yaml)
case "$memory_limit" in
  *Ki) max_ram=${memory_limit%Ki}k ;;
  *Mi) max_ram=${memory_limit%Mi}m ;;
  *Gi) max_ram=${memory_limit%Gi}g ;;
  *Ti) max_ram=${memory_limit%Ti}t ;;
  *k) max_ram=$(( ${memory_limit%k} * 1000 )) ;;
  *M) max_ram=$(( ${memory_limit%M} * 1000000 )) ;;
  *G) max_ram=$(( ${memory_limit%G} * 1000000000 )) ;;
  ''|*[!0-9]*) echo "bench: no integer resources.limits.memory in charts/arraypki-operator/values.yaml: '$memory_limit'" >&2
    exit 1 ;;
  *) max_ram=$memory_limit ;;
esac
# BENCH_EXTRA_JAVA_OPTS: more flags for the measured JVM; the figures are then of that JVM, not of
# the image's. BENCH_RECORD=profile records each measured window (issue, resign) with JFR into
# target/bench/issue.jfr and resign.jfr (their figures then include the recording's cost).
export OPERATOR_JAVA_OPTS="${jvm_flags[*]} -XX:MaxRAM=$max_ram ${BENCH_EXTRA_JAVA_OPTS:-}"
echo "bench: operator JVM options (image flags, chart limit $memory_limit): $OPERATOR_JAVA_OPTS"

e2e/local-cluster.sh up
eval "$(e2e/local-cluster.sh env)"
audit_logs=$(dirname "$KUBECONFIG")/logs
# The operator's settings for the run: no leader election (its Lease renewals would be the only
# writes of a quiet period), a fixed port for /metrics.
export ARRAYPKI_LEADER_ELECTION=false
java -Djava.util.logging.config.file=src/test/resources/logging.properties -cp "$classpath" io.arraypki.operator.bench.ClusterBench --project "$ROOT" --audit-logs "$audit_logs" \
  --nodes "$nodes" --arrays "$arrays" --threads "$threads" --unrelated "$unrelated" --steady-seconds "$steady" \
  --warmup-nodes "$warmup" --out target/bench/results.json
