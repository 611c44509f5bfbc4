# The operator image. Build the jar first (it is not built here: this needs no JDK):
#   ./mvnw -B package -DskipTests
#   docker build -t ghcr.io/arraypki/arraypki-operator:0.1.0 .
# target/arraypki-operator.jar finds its dependencies through its manifest's
# Class-Path (lib/*.jar next to it), so both land in /opt/arraypki.
FROM eclipse-temurin:17-jre

LABEL org.opencontainers.image.title="arraypki-operator" \
      org.opencontainers.image.description="Kubernetes operator for the private PKI of server arrays" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.source="https://github.com/arraypki/arraypki-operator"

WORKDIR /opt/arraypki
COPY target/lib/ /opt/arraypki/lib/
COPY target/arraypki-operator.jar /opt/arraypki/arraypki-operator.jar

# The chart runs it as 65532 with a read-only root filesystem and an emptyDir on /tmp.
USER 65532:65532
EXPOSE 8080

# JVM flags for a pod (e2e/bench.sh runs the operator with exactly these, under the chart's
# memory limit; README "Performance" has what each saved):
# - the serial collector, keeping the heap within 10-20% free after a collection: one or two
#   CPUs and a live heap of about 30 KB per member, where G1's remembered sets, concurrent
#   threads and lazily returned memory cost RSS the pod pays for;
# - both JIT compilers, C2 for the hottest methods only (its thresholds ten times the default):
#   after a warm-up, C2 still took half of the operator's CPU while 1000 members joined,
#   compiling Jackson, HTTP/2 and TLS paths that C1 serves well enough; with these thresholds
#   that share fell from 8.2 to 2.2 ms per member and issuing from 15.6 to 11.7 ms. C1 alone
#   would save more, but BigInteger's Montgomery multiplication is a C2 intrinsic: without it an
#   RSA-4096 key took 3 to 18 s instead of about 1 (it still reaches C2 here);
# - a young generation of a fifth of the heap (-XX:NewRatio=4; the serial collector's default is
#   a third): RSS 306 -> 272 MB at 1000 members with the trimming below, for 0.07 ms more of the
#   collector's CPU per member (README "Performance");
# - the native heap trimmed every 5 s (-XX:TrimNativeHeapInterval): the C2 compiler's arenas
#   and JSON buffers, once freed, went back to malloc but stayed resident (native memory
#   tracking: 51 MB of RSS outside the JVM's own accounts, 33 MB with the trimming);
# - a heap of at most 60% of the limit, so that heap, metaspace (128 MB), code (64 MB) and
#   threads fit inside it together (the kubelet kills a pod over its limit without a word);
# - a bounded code cache, metaspace and thread stacks (512 KB: deep Jackson and TLS stacks);
#   an exit on OutOfMemoryError so that the pod is restarted.
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:MaxRAMPercentage=60", "-XX:NewRatio=4", "-XX:TrimNativeHeapInterval=5000", "-XX:ReservedCodeCacheSize=64m", "-XX:MaxMetaspaceSize=128m", "-Xss512k", "-XX:Tier4InvocationThreshold=50000", "-XX:Tier4MinInvocationThreshold=6000", "-XX:Tier4CompileThreshold=150000", "-XX:Tier4BackEdgeThreshold=400000", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/arraypki/arraypki-operator.jar"]
