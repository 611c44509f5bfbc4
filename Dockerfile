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
# memory limit): the serial collector (one or two CPUs, a heap of a few hundred MB: G1's
# remembered sets and concurrent threads cost memory and CPU it cannot use), a bounded code
# cache and metaspace, and an exit on OutOfMemoryError so that the pod is restarted.
ENTRYPOINT ["java", "-XX:+UseSerialGC", "-XX:MaxRAMPercentage=75", "-XX:ReservedCodeCacheSize=64m", "-XX:MaxMetaspaceSize=160m", "-Xss512k", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/arraypki/arraypki-operator.jar"]
