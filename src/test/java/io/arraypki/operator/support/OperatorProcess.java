package io.arraypki.operator.support;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The operator as a separate JVM (OperatorMain, the jar's main class, on the test classpath),
 * watching one namespace, so that a test can kill it with SIGKILL at any point.
 */
public final class OperatorProcess implements AutoCloseable {
  private final Process process;

  private OperatorProcess(Process process) {
    this.process = process;
  }

  public static OperatorProcess start(String namespace, Path log) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "io.arraypki.operator.OperatorMain")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().put("KUBECONFIG", LocalControlPlane.kubeconfig().toString());
    builder.environment().put("WATCH_NAMESPACES", namespace);
    builder.environment().put("LEADER_ELECTION", "false");
    builder.environment().put("HTTP_PORT", "0");
    return new OperatorProcess(builder.start());
  }

  /** SIGKILL: no shutdown hook, no finally block, nothing flushed. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  public boolean alive() {
    return process.isAlive();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

}
