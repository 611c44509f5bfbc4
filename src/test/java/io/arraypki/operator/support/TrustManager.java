package io.arraypki.operator.support;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * cert-manager's trust-manager, the real binary (built from its Go module by e2e/tools.sh), run
 * as a process against the local control plane: its Bundle CRD applied, one trust namespace, no
 * leader election, no webhook (as the chart's validating webhook is only a second check of the
 * CRD's own rules). Stopped by its PID.
 */
public final class TrustManager implements AutoCloseable {
  private final Process process;
  private final Path log;

  private TrustManager(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  private static Path tool(String what) {
    String out = Commands.run(List.of("bash", Commands.projectDir().resolve("e2e/tools.sh").toString(), what),
        null, Map.of(), 3600).orFail("e2e/tools.sh " + what).output().trim();
    return Path.of(out.substring(out.lastIndexOf('\n') + 1));
  }

  /** Applies the Bundle CRD (server-side, idempotent) and starts trust-manager for {@code trustNamespace}. */
  public static TrustManager start(String trustNamespace) throws IOException {
    LocalControlPlane.kubectl(null, "apply", "--server-side", "-f", tool("trust-manager-crds").toString())
        .orFail("apply trust-manager's Bundle CRD");
    LocalControlPlane.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s",
        "crd/bundles.trust.cert-manager.io").orFail("Bundle CRD established");
    Path log = Commands.projectDir().resolve("target/trust-manager-" + trustNamespace + ".log");
    Files.createDirectories(log.getParent());
    Process process = new ProcessBuilder(tool("trust-manager").toString(),
        "--kubeconfig=" + LocalControlPlane.kubeconfig(), "--trust-namespace=" + trustNamespace,
        "--leader-elect=false", "--webhook-port=-1", "--metrics-port=" + freePort(),
        "--readiness-probe-port=" + freePort())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new TrustManager(process, log);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  public boolean running() {
    return process.isAlive();
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
